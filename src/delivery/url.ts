/**
 * The URL a request goes to: the integration's URL, its path arguments, the query payload.
 */
import { OPTIONAL_FIELDS, templateKey, type Webhook } from "../config/types.js";
import type { PbxEvent } from "../events/types.js";
import {
  compileTemplate,
  templateFields,
  textFieldValue,
  type CompiledTemplate,
} from "./fields.js";
import { checkSize, MAX_URL_CHARS } from "./request-size.js";
import type { Unsendable } from "./types.js";

const URL_BOUND = { what: "the URL", max: MAX_URL_CHARS };

/**
 * Base URL plus path arguments; the query payload goes after the URL's own query. A path
 * argument that comes out empty (its fields missing from the event) makes no URL: the
 * request would go to another resource (`…/callbacks/` for `…/callbacks/<number>`). A URL
 * longer than `MAX_URL_CHARS` throws `RequestTooLargeError` before it is built.
 */
export function compileUrl(webhook: Webhook) {
  const parsed = new URL(webhook.url);
  const ownQuery = parsed.search.slice(1);
  // A URL written with a trailing `&` (`?key=1&`, ready for more) already has its separator.
  const joiner = ownQuery.endsWith("&") ? "" : "&";
  parsed.search = "";
  parsed.hash = ""; // never sent on the wire
  const segments = webhook.pathArguments.map((text, i) =>
    compileTemplate(text, webhook.literals?.[templateKey(["pathArguments", i])], {
      what: `webhook.pathArguments[${i}]`,
      max: MAX_URL_CHARS,
    }),
  );
  const base = segments.length > 0 ? parsed.href.replace(/\/+$/, "") : parsed.href;
  return (event: PbxEvent, now: Date, query: string): string | Unsendable => {
    let url = base;
    for (let i = 0; i < segments.length; i++) {
      const text = (segments[i] as CompiledTemplate)(event, now);
      if (text === "") return emptyPathArgument(webhook, i, event, now);
      const segment = encodePathSegment(text);
      checkSize(url.length + 1 + segment.length, URL_BOUND);
      url += `/${segment}`;
    }
    const fullQuery = ownQuery && query ? `${ownQuery}${joiner}${query}` : ownQuery || query;
    if (!fullQuery) return url;
    checkSize(url.length + 1 + fullQuery.length, URL_BOUND);
    return `${url}?${fullQuery}`;
  };
}

/** The longest stretch of a path argument a reason quotes. */
const MAX_QUOTED_CHARS = 80;

/**
 * Why path argument `i` is empty for this event. Text of its own would have made it not
 * empty, so it is made of placeholders alone: it can be quoted, as it holds no secret.
 */
function emptyPathArgument(webhook: Webhook, i: number, event: PbxEvent, now: Date): Unsendable {
  const template = webhook.pathArguments[i] ?? "";
  const literals = webhook.literals?.[templateKey(["pathArguments", i])];
  const fields = [...new Set(templateFields(template, literals))].map((field) => {
    const what = textFieldValue(field, event, now) === undefined ? "no" : "an empty";
    return `${what} ${field} (${OPTIONAL_FIELDS[field] ?? field})`;
  });
  const quoted =
    template.length > MAX_QUOTED_CHARS ? `${template.slice(0, MAX_QUOTED_CHARS)}…` : template;
  const which = fields.length > 0 ? `, which has ${fields.join(" and ")}` : "";
  return {
    unsendable: `webhook.pathArguments[${i}] ${JSON.stringify(quoted)} is empty for this event${which}`,
  };
}

/**
 * One URL-encoded path segment. "." and ".." would be removed by URL normalisation and
 * move the request up the receiver's path, and their percent-encoded forms are
 * normalised too; so their dots are encoded twice ("%252E"), which survives as text.
 * A lone surrogate (a name cut in the middle of an emoji) has no UTF-8 form and would
 * make `encodeURIComponent` throw: `toWellFormed` makes it U+FFFD, as in form and query
 * payloads.
 */
function encodePathSegment(value: string): string {
  const encoded = encodeURIComponent(value.toWellFormed());
  return encoded === "." || encoded === ".." ? encoded.replace(/\./g, "%252E") : encoded;
}
