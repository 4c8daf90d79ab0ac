import type { EventType } from "../config/types.js";

/** A PBX user event (CloudEvents 1.0, structured mode) after validation. */
export interface PbxEvent {
  specversion: "1.0";
  id: string;
  source: string;
  type: EventType;
  /** Optional properties may be null, which means the same as absent (see fields.ts). */
  time?: string | null;
  datacontenttype?: string | null;
  data: {
    account: string;
    service: {
      type: string;
      uuid: string;
      name?: string | null;
      friendlyName?: string | null;
    };
    user: {
      extension?: string | null;
      name?: string | null;
      outboundNumber?: string | null;
      hasVoicemail?: boolean | null;
      enabledCalls?: string[] | null;
    };
    previous?: Record<string, unknown> | null;
  };
}
