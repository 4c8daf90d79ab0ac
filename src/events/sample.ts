/**
 * Sample PBX events for `hookswitch emit`: built from flags, or copied from a file with a
 * fresh id. Pure: ids and times are passed in.
 */
import { EVENT_TYPES, type EventType } from "../config/types.js";
import type { PbxEvent } from "./types.js";

export const SAMPLE_ACCOUNT = "acme";
export const SAMPLE_SERVICE_UUID = "3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11";
export const SAMPLE_SERVICE_TYPE = "mycloudpbx";

export interface SampleEventFields {
  type: EventType;
  account: string;
  serviceUuid: string;
  serviceType: string;
  serviceName?: string;
  serviceFriendlyName?: string;
  extension?: string;
  name?: string;
  outboundNumber?: string;
  hasVoicemail?: boolean;
  enabledCalls?: string[];
}

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

export function buildSampleEvent(
  fields: SampleEventFields,
  stamp: { id: string; time: string },
): PbxEvent {
  const user: PbxEvent["data"]["user"] = {};
  if (fields.extension !== undefined) user.extension = fields.extension;
  if (fields.name !== undefined) user.name = fields.name;
  if (fields.outboundNumber !== undefined) user.outboundNumber = fields.outboundNumber;
  if (fields.hasVoicemail !== undefined) user.hasVoicemail = fields.hasVoicemail;
  if (fields.enabledCalls !== undefined) user.enabledCalls = fields.enabledCalls;
  const service: PbxEvent["data"]["service"] = {
    type: fields.serviceType,
    uuid: fields.serviceUuid,
  };
  if (fields.serviceName !== undefined) service.name = fields.serviceName;
  if (fields.serviceFriendlyName !== undefined) service.friendlyName = fields.serviceFriendlyName;
  return {
    specversion: "1.0",
    id: stamp.id,
    source: `/accounts/${fields.account}/services/${fields.serviceUuid}`,
    type: fields.type,
    time: stamp.time,
    datacontenttype: "application/json",
    data: {
      account: fields.account,
      service,
      user,
    },
  };
}

/** `pbx.<account>.<serviceType>.<serviceUuid>.<type>` (docs/publishers.md, "Subjects"). */
export function eventSubject(event: {
  type: string;
  data: { account: string; service: { type: string; uuid: string } };
}): string {
  const { account, service } = event.data;
  return `pbx.${account}.${service.type}.${service.uuid}.${event.type}`;
}

/**
 * The subject for an event read from a file, or why there is none: the file may hold
 * a deliberately odd event, but the subject needs these fields.
 */
export function subjectOfUnknownEvent(event: unknown): { subject: string } | { problem: string } {
  const e = event as {
    type?: unknown;
    data?: { account?: unknown; service?: Record<string, unknown> };
  };
  const parts: [string, unknown, RegExp][] = [
    ["data.account", e?.data?.account, SUBJECT_TOKEN],
    ["data.service.type", e?.data?.service?.type, SUBJECT_TOKEN],
    ["data.service.uuid", e?.data?.service?.uuid, SUBJECT_TOKEN],
    ["type", e?.type, SUBJECT_TOKENS],
  ];
  const bad = parts.find(([, value, pattern]) => typeof value !== "string" || !pattern.test(value));
  if (bad) return { problem: `${bad[0]} is missing or cannot be part of a NATS subject` };
  return { subject: `pbx.${parts.map(([, value]) => value as string).join(".")}` };
}

const SUBJECT_TOKEN = /^[^\s.*>]+$/;
const SUBJECT_TOKENS = /^[^\s.*>]+(\.[^\s.*>]+)*$/;

/** A copy of a file's event with its own id (the object itself is not touched). */
export function withFreshId(event: unknown, id: string): unknown {
  if (typeof event !== "object" || event === null || Array.isArray(event)) return event;
  return { ...event, id };
}
