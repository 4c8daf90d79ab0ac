import type { EventType } from "../config/types.js";

/** A PBX user event (CloudEvents 1.0, structured mode) after validation. */
export interface PbxEvent {
  specversion: "1.0";
  id: string;
  source: string;
  type: EventType;
  time: string;
  datacontenttype?: string;
  data: {
    account: string;
    service: { type: string; uuid: string; name?: string; friendlyName?: string };
    user: {
      extension?: string;
      name?: string;
      outboundNumber?: string;
      hasVoicemail?: boolean;
      enabledCalls?: string[];
    };
    previous?: Record<string, unknown>;
  };
}
