/**
 * The delay that doubles with each step and stops growing at a cap: `firstMs` at step 0,
 * twice that at step 1, … never above `maxMs`. Delivery retries, NATS set-up, the wait for
 * JetStream and handed-back messages all back off this way, each with its own bounds.
 */
export function doublingDelayMs(step: number, firstMs: number, maxMs: number): number {
  // Past 2^40 the product overflows any sane cap; clamping the exponent keeps it finite.
  const exponent = Math.min(Math.max(Math.floor(step), 0), 40);
  return Math.min(maxMs, firstMs * 2 ** exponent);
}
