/**
 * How a consumer loop settles a message once its handler is done with it: acknowledged, or
 * handed back to NATS (a nak) to come again after `delayMs`.
 */
export type Settle = { action: "ack" } | { action: "nak"; delayMs: number };
export const ACK: Settle = { action: "ack" };
/** Handed back unstarted or aborted; at a stop the consumer loop sets the delay. */
export const HANDED_BACK: Settle = { action: "nak", delayMs: 0 };
