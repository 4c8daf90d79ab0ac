/**
 * The constant parts of a request that are over the request caps whatever the event (the
 * caps are delivery/request-size.ts's): a problem of the file, found by `validate`, rather
 * than every event's delivery dead-lettered as REQUEST_TOO_LARGE.
 */
import { MAX_HEADER_CHARS, MAX_URL_CHARS, sizeText } from "../../delivery/request-size.js";
import { PLACEHOLDER } from "../placeholders.js";
import { knownValue } from "../secrets.js";
import type { Rule, RuleProblem } from "./rules.js";
import { resolvedAt } from "../references.js";

export const constantRequestSize: Rule = (input) => {
  const { value } = input;
  const problems: RuleProblem[] = [];
  const url = knownValue(value.webhook.url, resolvedAt(input, ["webhook", "url"]));
  if (url !== undefined && url.length > MAX_URL_CHARS) {
    problems.push({
      path: ["webhook", "url"],
      message: `webhook.url is longer than ${sizeText(MAX_URL_CHARS)} (${url.length} characters): no request to it would be sent`,
    });
  }
  let headers = 0;
  for (const [name, text] of Object.entries(value.webhook.headers ?? {})) {
    const known = knownValue(text, resolvedAt(input, ["webhook", "headers", name]));
    // What an event fills in counts as nothing: the text around it is there for every event.
    if (known !== undefined) headers += name.length + known.replace(PLACEHOLDER, "").length;
  }
  if (headers > MAX_HEADER_CHARS) {
    problems.push({
      path: ["webhook", "headers"],
      message:
        `webhook.headers hold more than ${sizeText(MAX_HEADER_CHARS)} of names and values ` +
        `without their placeholders (${headers} characters): no request with them would be sent`,
    });
  }
  return problems;
};
