/**
 * The rule of `webhook.auth.username`: Basic authentication sends `user:password` and the
 * receiver splits it at the first `:`, so a user name holding one would be read as a
 * shorter name and a different password (RFC 7617). The schema refuses a `:` written out,
 * and so does this rule (validate's verdict agrees with the schema's); it also refuses one
 * that a secret puts there. The message is shared with `schema-messages.ts`.
 */
import type { Rule } from "./rules.js";
import { parseReferences, textBetweenReferences } from "../secrets.js";
import { resolvedAt } from "../references.js";

export function userNameColonMessage(when = ""): string {
  return (
    `webhook.auth.username must not contain ":"${when}: Basic authentication splits the ` +
    `user name from the password at the first ":"`
  );
}

export const basicUserName: Rule = (input) => {
  const { raw, value } = input;
  const written = raw.webhook.auth?.username;
  const parsed = written === undefined ? undefined : parseReferences(written);
  // A malformed reference is reported as such, by the references' own check.
  if (!parsed?.ok) return [];
  const at = (message: string) => [{ path: ["webhook", "auth", "username"], message }];
  // Written out (an escaped `$${` too, which sends the `${` and what follows as text).
  if (textBetweenReferences(parsed.segments).some((text) => text.includes(":"))) {
    return at(userNameColonMessage());
  }
  const known = resolvedAt(input, ["webhook", "auth", "username"]);
  if (known && value.webhook.auth?.username?.includes(":")) {
    return at(userNameColonMessage(" once its ${…} references are resolved"));
  }
  return [];
};
