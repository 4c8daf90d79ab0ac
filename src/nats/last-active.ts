/**
 * When a consumer's deliveries or acknowledgements were last active, as consumer info
 * says: for `ack_floor`, the last acknowledgement NATS took from any client, whether or not
 * it moved the floor.
 */
import type { SequenceInfo } from "@nats-io/jetstream";

/** Unix seconds; undefined before any activity, or where the server does not say. */
export function lastActive(info: Partial<SequenceInfo> | undefined): number | undefined {
  // Typed as nanoseconds by the client, sent by the server as an RFC 3339 time.
  const at: unknown = info?.last_active;
  if (typeof at !== "string") return undefined;
  const ms = Date.parse(at);
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : undefined;
}
