/**
 * `hookswitch_deliveries_total`, read when scraped from the delivery figures the status page
 * shows: each delivery is counted once, there (prom-client's labelled `inc` hashed its labels
 * on every call, a hundredth of a drain's instructions).
 *
 * Dead letters are shown for every loaded integration, at 0 until one happens: a series born
 * at 1 has no increase() for the alert to see. The other outcomes appear once they happen
 * (with 10,000 integrations, four series each made every scrape a 3 MB affair). Each
 * integration's lines are kept until its counts change.
 */
import { DELIVERY_OUTCOMES, type DeliveryOutcome } from "../delivery/stats.js";
import { familyHeader, labelValue, type TextFamily } from "./exposition.js";
import { KeptLines } from "./kept-lines.js";

export type DeliveryCounts = () => Iterable<
  [integration: string, counts: Record<DeliveryOutcome, number>]
>;

export class DeliveryCounter implements TextFamily {
  readonly name = "hookswitch_deliveries_total";
  readonly #header: string;
  readonly #counts: DeliveryCounts;
  readonly #kept: KeptLines<Record<DeliveryOutcome, number>>;

  constructor(help: string, counts: DeliveryCounts) {
    this.#header = familyHeader(this.name, help, "counter");
    this.#counts = counts;
    this.#kept = new KeptLines({
      snapshot: (outcomes) => DELIVERY_OUTCOMES.map((outcome) => outcomes[outcome]),
      same: (written, outcomes) =>
        DELIVERY_OUTCOMES.every((outcome, i) => written[i] === outcomes[outcome]),
      lines: (integration, outcomes) => this.#lines(integration, outcomes),
    });
  }

  pieces(): Iterable<string> {
    // The integrations counted now: one counted first while the text is written waits for
    // the next scrape, and a removed one's lines go.
    return this.#kept.pieces(this.#header, [...this.#counts()]);
  }

  #lines(integration: string, counts: Record<DeliveryOutcome, number>): string {
    const label = `integration="${labelValue(integration)}"`;
    return DELIVERY_OUTCOMES.filter((outcome) => counts[outcome] > 0 || outcome === "dead-lettered")
      .map((outcome) => `${this.name}{${label},outcome="${outcome}"} ${counts[outcome]}`)
      .join("\n");
  }
}
