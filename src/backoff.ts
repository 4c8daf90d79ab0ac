/**
 * The delay that doubles with each step and stops growing at a cap: `firstMs` at step 0,
 * twice that at step 1, … never above `maxMs`. Delivery retries, the wait for JetStream,
 * handed-back messages, consumers read again and streams set up again after NATS lost them
 * all back off this way, each with its own bounds (the first set-up retries with p-retry).
 */
export function doublingDelayMs(step: number, firstMs: number, maxMs: number): number {
  // Past 2^40 the product overflows any sane cap; clamping the exponent keeps it finite.
  const exponent = Math.min(Math.max(Math.floor(step), 0), 40);
  return Math.min(maxMs, firstMs * 2 ** exponent);
}
