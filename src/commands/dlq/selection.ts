/**
 * Which dead letters a `dlq` command works on: ids, `--integration NAME` or `--all`, checked
 * before anything is read or removed.
 */
import { INVALID_EVENT_SUBJECT_TOKEN } from "../../nats/layout.js";
import { UsageError } from "../../errors.js";

type Opts = Record<string, unknown>;

export type Selection =
  { kind: "ids"; ids: number[] } | { kind: "integration"; integration: string } | { kind: "all" };

/** As the schema's `name`: a DNS label. */
const INTEGRATION_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * `--integration` is a token of the dead letters' NATS subject: `*` or `>` there would match
 * every integration, and `dlq purge --integration '*'` purge them all without `--all`.
 */
function integrationOf(opts: Opts): string | undefined {
  if (typeof opts.integration !== "string") return undefined;
  // `_invalid` holds the messages that were not valid events (docs/operating.md names it).
  const name = opts.integration;
  if (name !== INVALID_EVENT_SUBJECT_TOKEN && !INTEGRATION_NAME.test(name)) {
    throw new UsageError(
      `--integration ${JSON.stringify(name)} is not an integration name: lowercase letters, ` +
        `digits and "-", as in its file (or ${INVALID_EVENT_SUBJECT_TOKEN}, the messages that ` +
        "were not valid events); see `dlq list`",
    );
  }
  return name;
}

/** Exactly one of: ids, `--integration`, `--all`. Ids given twice count once. */
export function parseSelection(verb: string, ids: string[], opts: Opts): Selection {
  const integration = integrationOf(opts);
  const given = [ids.length > 0, integration !== undefined, opts.all === true].filter(Boolean);
  if (given.length !== 1) {
    throw new UsageError(`dlq ${verb} needs exactly one of: ids, --integration NAME, or --all`);
  }
  if (opts.all === true) return { kind: "all" };
  if (integration !== undefined) return { kind: "integration", integration };
  return { kind: "ids", ids: [...new Set(ids.map(parseId))] };
}

/** What `dlq list` lists: ids, or one integration's, or all; ids beside --integration are refused. */
export function parseListing(ids: string[], opts: Opts): Selection {
  const integration = integrationOf(opts);
  if (ids.length > 0 && integration !== undefined) {
    throw new UsageError("dlq list takes ids or --integration NAME, not both");
  }
  if (ids.length > 0) return { kind: "ids", ids: [...new Set(ids.map(parseId))] };
  return integration === undefined ? { kind: "all" } : { kind: "integration", integration };
}

/** Digits only: `1e3` or `0x10` would name another record than the one typed. */
function parseId(text: string): number {
  const id = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(id) || id < 1) {
    throw new UsageError(`"${text}" is not a dead-letter id (a whole number, see \`dlq list\`)`);
  }
  return id;
}
