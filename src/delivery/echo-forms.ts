/**
 * The texts in which a receiver's answer may quote a secret the integration sent: the
 * secret, and the parts of a secret URL a receiver quotes apart from the rest (its path and
 * query, a parameter's value), each as it is and as a form writes it. The escapes of JSON,
 * URLs and HTML, in any mix, are read from the answer instead (decoded-view.ts). Looked for
 * by `maskEchoedSecrets`.
 *
 * Worked out once per loaded integration and kept beside it: a receiver that is down
 * dead-letters every delivery, and the forms are the same each time.
 */
import type { Integration } from "../config/types.js";
import { asciiLowerCase } from "./decoded-view.js";
import { isCredentialHeader } from "../config/rules/clear-secrets.js";

/**
 * Fewer characters than this are not looked for in an answer: a secret that short is no
 * secret, and masking each of its occurrences would leave the answer unreadable.
 */
const MIN_ECHOED_CHARS = 4;

/**
 * A part of a secret URL (its path, query, one parameter's value) shorter than this is not
 * looked for alone. Short parts are what many answers hold for reasons of their own and
 * give nothing away ("/", "/api/v1", "/hooks", `format=json`'s "json", "1"); the tokens and
 * ids that make a webhook URL secret are longer (Slack's are 24 characters, Teams' 36). A
 * short part is still masked inside the longer parts and the URL that hold it.
 */
const MIN_URL_PART_CHARS = 8;

export interface Needle {
  text: string;
  /** The fewest of its first characters masked where the kept answer ends (cut short). */
  shortestStart: number;
}

export interface EchoNeedles {
  /**
   * The secrets and the parts of secret URLs, A–Z in lower case (as the answer's decoded
   * view reads them: decoded-view.ts), longest first.
   */
  lowered: readonly Needle[];
  /** Those, and those as a form writes them, longest first. */
  quoted: readonly Needle[];
}

const needlesOf = new WeakMap<Integration, EchoNeedles>();

/** Every form in which the integration's secrets may come back. */
export function echoNeedles(integration: Integration): EchoNeedles {
  let needles = needlesOf.get(integration);
  if (needles === undefined) {
    needles = findNeedles(integration);
    needlesOf.set(integration, needles);
  }
  return needles;
}

function findNeedles(integration: Integration): EchoNeedles {
  const { auth, signingSecrets, url } = integration.webhook;
  // A receiver that fails to verify may quote the key it expected: the part after `whsec_`.
  const keys = signingSecrets.map((secret) => secret.replace(/^whsec_/, ""));
  const secrets = [...(integration.sentSecrets ?? []), ...signingSecrets, ...keys];
  if (auth.type === "token") secrets.push(auth.token);
  // Written in clear (validate warns of it), a credential header is still one: its value,
  // and an Authorization's credentials without their scheme.
  for (const [name, value] of Object.entries(integration.webhook.headers)) {
    if (!isCredentialHeader(name) || value.includes("{")) continue;
    secrets.push(value);
    const credentials = /^\S+ +(\S.*)$/.exec(value)?.[1];
    if (credentials !== undefined) secrets.push(credentials);
  }
  if (auth.type === "basic") {
    const credentials = Buffer.from(`${auth.username}:${auth.password}`, "utf8");
    secrets.push(auth.password, credentials.toString("base64"));
  }
  // A host that came from a secret (the whole URL, say) is masked in failure messages; a
  // receiver's answer may quote it alone (its Host header), apart from the rest.
  if (integration.shown?.secretHost) {
    const { host, hostname } = new URL(url);
    secrets.push(host, hostname);
  }
  const lowered = new Map<string, number>();
  const quoted = new Map<string, number>();
  const keep = (kept: Map<string, number>, text: string, fewest: number) => {
    if (text.length >= fewest) kept.set(text, Math.min(kept.get(text) ?? fewest, fewest));
  };
  const add = (text: string, fewest: number) => {
    keep(lowered, asciiLowerCase(text), fewest);
    for (const form of quotedForms(text)) keep(quoted, form, fewest);
  };
  for (const secret of secrets) {
    add(secret, MIN_ECHOED_CHARS);
    for (const part of urlParts(secret)) {
      if (part.length >= MIN_URL_PART_CHARS) add(part, MIN_URL_PART_CHARS);
    }
  }
  return { lowered: longestFirst(lowered), quoted: longestFirst(quoted) };
}

function longestFirst(kept: Map<string, number>): Needle[] {
  return [...kept]
    .map(([text, shortestStart]) => ({ text, shortestStart }))
    .sort((a, b) => b.text.length - a.text.length);
}

/**
 * `text` as it is, and as a form writes it (a space as `+`). Every other escape is undone in
 * the answer before secrets are looked for there (decoded-view.ts); `text` as it is still
 * finds a secret that holds what reads as an escape (`ab%41`).
 */
export function quotedForms(text: string): string[] {
  return [text, new URLSearchParams([["", text]]).toString().slice(1)];
}

const SCHEME = /^[a-z][a-z\d+.-]*:\/\//i;

/**
 * The parts of a secret URL a receiver may quote apart from the rest: the URL as it was
 * sent (the parser lower-cases the host, drops a default port and the fragment), the path
 * with its query, the query, each parameter's value (as sent and decoded), and the path.
 * A secret that is a path with a query, or a query string, gives its parts the same way.
 * A secret that is one part of the URL (a parameter's value, a path segment, the host)
 * needs none: it is that part, and its forms are looked for already.
 */
export function urlParts(secret: string): string[] {
  const base = SCHEME.test(secret) ? undefined : /^[/?]/.test(secret) ? "http://h" : null;
  if (base === null) return secret.includes("=") ? parameterValues(secret) : [];
  if (!URL.canParse(secret, base)) return [];
  const url = new URL(secret, base);
  const { pathname, search } = url;
  const query = search.slice(1);
  const parts = [pathname, pathname + search, search, query, ...parameterValues(query)];
  if (base === undefined) parts.push(url.href.slice(0, url.href.length - url.hash.length));
  return parts.filter((part) => part !== "/" && part !== "");
}

function parameterValues(query: string): string[] {
  const asSent = query.split("&").map((pair) => pair.slice(pair.indexOf("=") + 1));
  const decoded = [...new URLSearchParams(query).values()];
  return [...asSent, ...decoded];
}
