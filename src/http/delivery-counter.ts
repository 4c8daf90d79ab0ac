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
import { familyHeader, inPieces, labelValue, type TextFamily } from "./exposition.js";

export type DeliveryCounts = () => Iterable<
  [integration: string, counts: Record<DeliveryOutcome, number>]
>;

interface Written {
  /** The counts the lines show, in DELIVERY_OUTCOMES' order. */
  readonly counts: readonly number[];
  readonly lines: string;
}

export class DeliveryCounter implements TextFamily {
  readonly name = "hookswitch_deliveries_total";
  readonly #header: string;
  readonly #counts: DeliveryCounts;
  #written = new Map<string, Written>();

  constructor(help: string, counts: DeliveryCounts) {
    this.#header = familyHeader(this.name, help, "counter");
    this.#counts = counts;
  }

  pieces(): Iterable<string> {
    // The integrations counted now: one counted first while the text is written waits for
    // the next scrape, and a removed one's lines go.
    const counted = [...this.#counts()];
    const before = this.#written;
    const written = new Map<string, Written>();
    this.#written = written;
    return inPieces(this.#header, counted, ([integration, counts]) => {
      let kept = before.get(integration);
      if (kept === undefined || !showsCounts(kept, counts)) kept = this.#write(integration, counts);
      written.set(integration, kept);
      return kept.lines;
    });
  }

  #write(integration: string, counts: Record<DeliveryOutcome, number>): Written {
    const label = `integration="${labelValue(integration)}"`;
    const lines = DELIVERY_OUTCOMES.filter(
      (outcome) => counts[outcome] > 0 || outcome === "dead-lettered",
    ).map((outcome) => `${this.name}{${label},outcome="${outcome}"} ${counts[outcome]}`);
    return { counts: DELIVERY_OUTCOMES.map((outcome) => counts[outcome]), lines: lines.join("\n") };
  }
}

function showsCounts(written: Written, counts: Record<DeliveryOutcome, number>): boolean {
  return DELIVERY_OUTCOMES.every((outcome, i) => written.counts[i] === counts[outcome]);
}
