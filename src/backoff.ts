/**
 * The delay that doubles with each step and stops growing at a cap: `firstMs` at step 0,
 * twice that at step 1, … never above `maxMs`. Delivery retries, the wait for JetStream,
 * handed-back messages, consumers read again and streams set up again after NATS lost them
 * all back off this way, each with its own bounds. p-retry is used instead where a retry
 * needs an attempt budget, a log line per failure or an abort signal: the first set-up
 * (nats/keeper.ts), a store that failed (nats/store-retry.ts) and the rescue of an event
 * out of NATS deliveries (nats/advisories.ts).
 */
export function doublingDelayMs(step: number, firstMs: number, maxMs: number): number {
  // Past 2^40 the product overflows any sane cap; clamping the exponent keeps it finite.
  const exponent = Math.min(Math.max(Math.floor(step), 0), 40);
  return Math.min(maxMs, firstMs * 2 ** exponent);
}
