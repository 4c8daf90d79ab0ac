/**
 * An account scope no event published as docs/publishers.md asks can have: NATS subject
 * tokens hold no whitespace, dot, `*` or `>`, so `acme ` (a trailing space), `acme.eu` or
 * `acme*` matches only an event whose payload has that exact text on another subject, most
 * likely none, and its integration never sends. Matching is exact (a scope is no pattern),
 * so the file stays valid and `validate` warns.
 */
import { invisibleNote, quoteVisibly } from "../parse/invisible.js";
import type { RawIntegration } from "../parse/raw.js";
import type { RuleProblem } from "./rules.js";

const NOT_IN_A_TOKEN = /[\s.*>\p{Cc}\p{Cf}]/u;

/** `raw` as written, `value` with its references resolved (the same text when they are not). */
export function unpublishableAccount(raw: RawIntegration, value: RawIntegration): RuleProblem[] {
  const account = value.scope?.account;
  if (typeof account !== "string" || !NOT_IN_A_TOKEN.test(account)) return [];
  // A value from a secret is never repeated.
  const shown =
    raw.scope?.account === account ? ` ${quoteVisibly(account)}` : " (from its reference)";
  const note = invisibleNote(account);
  return [
    {
      path: ["scope", "account"],
      message:
        `scope.account${shown} cannot be a NATS subject token (it holds whitespace, a dot, * or >, ` +
        "or a character that does not show): publishers send an account's events on " +
        "pbx.<account>.…, so it matches no event published that way; a scope is matched " +
        `exactly, never as a pattern${note ? `; ${note}` : ""}`,
    },
  ];
}
