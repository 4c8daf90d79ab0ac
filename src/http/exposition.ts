/**
 * The `/metrics` text: prom-client's registry for the process-wide metrics, and beside it
 * the families kept per integration, which hookswitch writes itself.
 *
 * prom-client formats every sample anew on every scrape, a few µs each, on the event loop
 * that also delivers: with 10,000 integrations that had attempts, the attempt histogram's
 * 160,000 lines held it for 1.3–1.9 s per scrape, and 1,000 integrations for 0.1–0.2 s.
 * The families here keep each integration's lines until its figures change, and write the
 * same text prom-client would (their tests hold them to it).
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import type { Registry } from "prom-client";

/** A metric family that writes its own text: `# HELP`, `# TYPE` and its samples. */
export interface TextFamily {
  readonly name: string;
  /** Its text in pieces, each line ending in a line feed; the integrations as they are now. */
  pieces(): Iterable<string>;
}

/** The integrations whose lines make one piece: the scrape lets deliveries run between. */
export const INTEGRATIONS_PER_PIECE = 250;

export class Exposition {
  readonly #registry: Registry;
  readonly #own: readonly TextFamily[];

  constructor(registry: Registry, own: readonly TextFamily[]) {
    this.#registry = registry;
    this.#own = own;
  }

  get contentType(): string {
    return this.#registry.contentType;
  }

  /** Every family's name, prom-client's and hookswitch's own. */
  names(): string[] {
    return [
      ...this.#registry.getMetricsAsArray().map((metric) => metric.name),
      ...this.#own.map((family) => family.name),
    ];
  }

  /**
   * The text Prometheus scrapes, families apart by a blank line as prom-client has them, in
   * pieces with a turn of the event loop after each: 10,000 integrations' lines are 15 MB,
   * which held deliveries up for a quarter of a second even as one string kept ready.
   */
  async *pieces(): AsyncGenerator<string> {
    yield await this.#registry.metrics();
    for (const family of this.#own) {
      yield "\n";
      for (const piece of family.pieces()) {
        yield piece;
        await nextTurn();
      }
    }
  }

  async text(): Promise<string> {
    let text = "";
    for await (const piece of this.pieces()) text += piece;
    return text;
  }
}

/** A family's whole text. */
export function familyText(family: TextFamily): string {
  return [...family.pieces()].join("");
}

/**
 * `header`, then the lines of INTEGRATIONS_PER_PIECE of `items` at a time: each written when
 * its piece is asked for, so a scrape that yields between pieces shows lines that are fresh.
 */
export function* inPieces<T>(
  header: string,
  items: readonly T[],
  linesOf: (item: T) => string,
): Generator<string> {
  yield `${header}\n`;
  for (let start = 0; start < items.length; start += INTEGRATIONS_PER_PIECE) {
    const run = items.slice(start, start + INTEGRATIONS_PER_PIECE);
    yield `${run.map(linesOf).join("\n")}\n`;
  }
}

/** The two comment lines that open a family. */
export function familyHeader(name: string, help: string, type: string): string {
  return `# HELP ${name} ${escapeText(help)}\n# TYPE ${name} ${type}`;
}

/** A label value as the text format wants it: backslash, line feed and quote escaped. */
export function labelValue(value: string): string {
  return escapeText(value).replace(/"/g, '\\"');
}

/** A sample's value, written as prom-client writes it. */
export function sampleValue(value: number): string {
  if (Number.isNaN(value)) return "Nan";
  if (!Number.isFinite(value)) return value < 0 ? "-Inf" : "+Inf";
  return `${value}`;
}

function escapeText(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}
