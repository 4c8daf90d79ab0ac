/**
 * The rules of `webhook.url`: an absolute http(s) URL with a host, no user-info (written
 * out or by reference), and no `{field}` placeholders (a URL is sent as written). Their
 * messages are shared with `schema-errors.ts` and `schema-messages.ts`, so the schema's
 * verdict and validate's read the same.
 */
import { placeholderNames } from "../placeholders.js";
import { invisibleNote, withInvisibleNote } from "../parse/invisible.js";
import type { Rule, RuleProblem } from "./rules.js";
import { mayRepeat } from "../field-guess.js";
import type { RawIntegration } from "../parse/raw.js";
import { knownValue, parseReferences, textBetweenReferences } from "../secrets.js";
import { resolvedAt } from "../references.js";
import {
  createEgressPolicy,
  normalizeIp,
  type EgressPolicy,
  type EgressVerdict,
} from "../../delivery/egress.js";

/**
 * `user:password@` in a URL as written, a `${…}` reference counting as one character of it
 * (and an escaped `$${` as the two it stands for):
 * credentials are refused by reference too (webhook.auth is where they go). The schema's
 * `not` pattern for webhook.url is this one. A run of `$` is read whole, as parseReferences
 * reads it: the `${` inside `$${` begins no reference, so a `?` after it still ends the host.
 */
const WRITTEN_USER_INFO =
  /^[hH][tT][tT][pP][sS]?:\/\/[/\\]*(?:(?:\$\$+\{|\$\{[^}]*\}|\$+(?![{$])|[^/\\?#$:])(?:\$\$+\{|\$\{[^}]*\}|\$+(?![{$])|[^/\\?#$])*|:(?:\$\$+\{|\$\{[^}]*\}|\$+(?![{$])|[^/\\?#$])+)@/;

const UNSEEN = "webhook.url holds a character that would be sent percent-encoded";

export const httpUrl: Rule = (input) => {
  const value = input.value.webhook.url;
  const at = (message: string) => [{ path: ["webhook", "url"], message }];
  if (NO_HOST.test(input.raw.webhook.url)) return at(noHostMessage());
  if (UNPARSABLE_URL.test(input.raw.webhook.url)) return at(INVALID_URL_MESSAGE);
  const url = knownValue(value, resolvedAt(input, ["webhook", "url"]));
  if (url === undefined) {
    if (invisibleNote(value)) return at(withInvisibleNote(UNSEEN, value));
    return WRITTEN_USER_INFO.test(value) ? at(URL_USER_INFO_MESSAGE) : [];
  }
  // A character that does not show (a no-break space, a zero-width space pasted into a
  // secret) is named, never the URL: part of it may be a secret.
  const refuse = (message: string) => at(withInvisibleNote(message, url));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse(INVALID_URL_MESSAGE);
  }
  // One the URL parser takes would be sent percent-encoded, to a path no one wrote.
  if (invisibleNote(url)) return refuse(UNSEEN);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    // Part of a URL that comes from a secret is a secret: name the reference, not the value.
    const got = input.raw.webhook.url.includes("${")
      ? "once its ${…} references are resolved"
      : `(got ${parsed.protocol.slice(0, -1)})`;
    return refuse(`webhook.url must use http or https ${got}`);
  }
  if (parsed.username || parsed.password) {
    return at(URL_USER_INFO_MESSAGE);
  }
  if (NO_HOST.test(url)) return refuse(noHostMessage(" once its ${…} references are resolved"));
  if (parsed.hash !== "" && hashFromPart(input.raw.webhook.url)) return at(REFERENCE_HASH_MESSAGE);
  return [];
};

/**
 * A `#` that came from a secret put into part of the URL begins a fragment, which is never
 * sent: a key with a `#` in a query would lose the rest of itself without a word. Values are
 * put in as they are (a reference may give a path, or several parameters), so such a `#`
 * must be stored as `%23`. A URL given whole by one reference may have a fragment, as one
 * written out may.
 */
const REFERENCE_HASH_MESSAGE =
  "webhook.url has a # once its ${…} references are resolved: what follows it is a fragment, " +
  "which is never sent; store the secret with # written as %23";

function hashFromPart(url: string): boolean {
  const parsed = parseReferences(url);
  if (!parsed.ok || parsed.segments.length === 1) return false;
  return !textBetweenReferences(parsed.segments).some((text) => text.includes("#"));
}

/**
 * A fragment written into the URL is valid and never sent (it stays with the client, as a
 * browser keeps it), so a `#` meant for the path or the query would cut off what follows it
 * without a word at run time: `validate` warns.
 */
export function writtenFragment(raw: RawIntegration): RuleProblem[] {
  return writtenUrlWarning(raw, (text) => text.includes("#"), WRITTEN_FRAGMENT_MESSAGE);
}

/**
 * `message` about the URL when the text written into it (not what its references bring)
 * passes `test`: what a secret holds is judged once resolved, and never repeated.
 */
function writtenUrlWarning(
  raw: RawIntegration,
  test: (text: string) => boolean,
  message: string,
): RuleProblem[] {
  const parsed = parseReferences(raw.webhook.url);
  if (!parsed.ok || !textBetweenReferences(parsed.segments).some(test)) return [];
  return [{ path: ["webhook", "url"], message }];
}

/** A `%` that starts no `%XX` escape: receivers read such a URL each their own way. */
const STRAY_PERCENT = /%(?![0-9A-Fa-f]{2})/;

const STRAY_PERCENT_MESSAGE =
  "webhook.url: a % in it is not followed by two hexadecimal digits, and is sent as written, " +
  "which receivers may refuse or read otherwise: write a % meant as text as %25";

/** A `%` written into the URL that escapes nothing (its text is not repeated: a secret, maybe). */
export function strayPercent(raw: RawIntegration): RuleProblem[] {
  return writtenUrlWarning(raw, (text) => STRAY_PERCENT.test(text), STRAY_PERCENT_MESSAGE);
}

/** The daemon's built-in denies alone (no flags): what it refuses wherever it runs. */
let builtInPolicy: EgressPolicy | undefined;
/**
 * Its verdicts by host: integrations share a few receivers, and a lookup costs a fraction
 * of judging an address. Bounded, as hosts come from files: emptied when full.
 */
const verdicts = new Map<string, EgressVerdict>();
const MAX_VERDICTS = 1_000;

function builtInVerdict(host: string): EgressVerdict {
  const known = verdicts.get(host);
  if (known) return known;
  if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
  builtInPolicy ??= createEgressPolicy({ deny: [], allow: [] });
  const verdict = builtInPolicy.check(host);
  verdicts.set(host, verdict);
  return verdict;
}

/**
 * A URL written with an IP address that the daemon's built-in egress policy refuses
 * (link-local, cloud metadata, unspecified): every delivery would be dead-lettered unless
 * the daemon runs with an `--allow-cidr` that covers it, which `validate` cannot know. A
 * URL from a reference is not judged: its address may be part of a secret.
 */
export function deniedAddress(raw: RawIntegration): RuleProblem[] {
  const written = raw.webhook.url;
  if (written.includes("${")) return [];
  let host: string;
  try {
    host = new URL(written).hostname;
  } catch {
    return [];
  }
  if (normalizeIp(host) === undefined) return []; // a name: judged when it resolves
  const verdict = builtInVerdict(host);
  if (verdict.allowed) return [];
  const message =
    `webhook.url's address ${host} is refused by the daemon's egress policy (${verdict.reason}): ` +
    "every delivery would be dead-lettered, unless the daemon runs with an --allow-cidr that covers it";
  return [{ path: ["webhook", "url"], message }];
}

const WRITTEN_FRAGMENT_MESSAGE =
  "webhook.url: what follows its # is a fragment, which is not sent; write # as %23 to send " +
  "it in the path or the query";

export const INVALID_URL_MESSAGE = "webhook.url is not a valid absolute URL";

/**
 * What no URL parser takes, judged on the URL as written (references are opaque): no host
 * before a port, query or fragment, a port past 65535, an IPv6 bracket left open, a `%` in
 * the host without two hex digits. The schema's third `not` for webhook.url is this pattern,
 * so that generic validators refuse them too (a test holds the two equal).
 */
export const UNPARSABLE_URL = new RegExp(
  String.raw`^[hH][tT][tT][pP][sS]?://(?:[?#]|$|(?:[^/\\?#\s]*@)?:[^/\\?#\s@]*(?:[/\\?#]|$)|[^/\\?#\s]*@(?:[/\\?#]|$)|[^/\\?#\s]*:0*(?:[1-9][0-9]{5,}|6553[6-9]|655[4-9][0-9]|65[6-9][0-9]{2}|6[6-9][0-9]{3}|[7-9][0-9]{4})(?:[/\\?#]|$)|(?:[^/\\?#\s]*@)?\[[^\]/\\?#\s]*(?:[/\\?#]|$)|[^/\\?#\s]*%(?![0-9A-Fa-f]{2}))`,
);

/** A URL parser reads `https:///api/x` as the host "api": what was written has no host. */
export const NO_HOST = /^https?:\/\/[/\\]/i;
export function noHostMessage(when = ""): string {
  return `webhook.url has no host${when}: write it as http(s)://host/path`;
}

/**
 * A URL is sent as written: `{field}` placeholders are filled in only in path arguments,
 * header values and templates.
 */
export const urlPlaceholders: Rule = ({ raw }) => {
  const name = urlPlaceholder(raw.webhook.url);
  return name === undefined
    ? []
    : [{ path: ["webhook", "url"], message: urlPlaceholderMessage(name) }];
};

/**
 * The first `{field}`-like placeholder in a URL's literal text. References are not text, and
 * an escaped `$${…}` (the only way literal text holds `${`) says the braces are meant: it
 * stands as one character no placeholder can hold, as the schema's pattern reads it.
 */
export function urlPlaceholder(url: string): string | undefined {
  if (!url.includes("{")) return undefined;
  const parsed = parseReferences(url);
  if (!parsed.ok) return undefined;
  const text = textBetweenReferences(parsed.segments).map((t) => t.replace(ESCAPED_REFERENCE, " "));
  return text.flatMap(placeholderNames)[0];
}

const ESCAPED_REFERENCE = /\$\{[^}]*\}/g;

export function urlPlaceholderMessage(name: string): string {
  // A name of no field's may be part of a secret the URL holds: named only when short.
  const placeholder = mayRepeat(name) ? `{${name}}` : "a name in braces";
  return (
    `webhook.url is sent as written, so ${placeholder} would not be filled in: put it in ` +
    `webhook.pathArguments (or, for a query parameter, in webhook.fields with format query)`
  );
}

export const URL_USER_INFO_MESSAGE =
  "webhook.url must not carry user:password@; use webhook.auth type basic";
