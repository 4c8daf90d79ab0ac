/**
 * What to say when NATS refuses the user a subject. The server names the subject and the
 * operation; the operator needs to hear which permission to add, and for the subscription
 * to the replies' inbox, that `--inbox-prefix` may be what is missing instead.
 */
import { DEAD_LETTER_STREAM, DELIVERY_STREAM } from "./layout.js";
import { errorChain } from "../errors.js";

export interface RefusedSubject {
  operation: "publish" | "subscribe";
  subject: string;
}

/** The operation and subject NATS refused, when `error` (or its cause) is a permission violation. */
export function refusedSubject(error: Error): RefusedSubject | undefined {
  for (const e of errorChain(error)) {
    if (e.name !== "PermissionViolationError") continue;
    const { operation, subject } = e as { operation?: unknown; subject?: unknown };
    if (typeof subject !== "string" || subject === "") continue;
    return { operation: operation === "subscription" ? "subscribe" : "publish", subject };
  }
  return undefined;
}

/** The client's default, as it puts it before every reply subject. */
const DEFAULT_INBOX_PREFIX = "_INBOX";

/** One sentence: what was refused, and what to allow (or set) so that it is not. */
export function permissionAdvice(refused: RefusedSubject, inboxPrefix?: string): string {
  const prefix = inboxPrefix ?? DEFAULT_INBOX_PREFIX;
  if (refused.operation === "subscribe" && refused.subject.startsWith(`${prefix}.`)) {
    const instead =
      inboxPrefix === undefined
        ? ", or set --inbox-prefix (NATS_INBOX_PREFIX) to the prefix its permissions allow replies under"
        : "";
    return (
      `NATS refused this user the subscription to its replies (${refused.subject}): allow it ` +
      `to subscribe to ${prefix}.>${instead}`
    );
  }
  const what = refused.operation === "subscribe" ? "the subscription to" : "publishing to";
  return (
    `NATS refused this user ${what} ${refused.subject}: allow it to ${refused.operation} ` +
    `to ${subjectToAllow(refused.subject, prefix)} in the NATS server's permissions (the operating ` +
    `guide lists every subject hookswitch uses, under "NATS permissions")`
  );
}

/**
 * The subject to allow: one that also covers the next message of the same kind, as the
 * printed permissions do (permissions.ts). Replies, acknowledgements, records and consumers
 * made per integration or per command end in tokens that change from one to the next.
 */
export function subjectToAllow(subject: string, inboxPrefix = DEFAULT_INBOX_PREFIX): string {
  if (subject.startsWith(`${inboxPrefix}.`)) return `${inboxPrefix}.>`;
  const tokens = subject.split(".");
  const keep = (count: number) => `${tokens.slice(0, count).join(".")}.>`;
  if (tokens[0] === "$JS" && tokens[1] === "ACK" && tokens.length > 4) {
    return keep(tokens[2] === DELIVERY_STREAM ? 3 : 4);
  }
  if (tokens[0] === "$JS" && tokens[1] === "API" && tokens[2] === "CONSUMER") {
    return consumerSubjectToAllow(tokens) ?? subject;
  }
  if (tokens[0] === "hookswitch" && tokens.length === 4) return keep(3);
  return subject;
}

/** `$JS.API.CONSUMER.<op>.<stream>.<consumer>[.<filter>]`, as permissions.ts grants it. */
function consumerSubjectToAllow(tokens: string[]): string | undefined {
  const opLength = tokens[3] === "MSG" ? 2 : 1;
  const op = tokens.slice(3, 3 + opLength).join(".");
  const stream = tokens[3 + opLength];
  const rest = tokens.slice(5 + opLength);
  const head = `$JS.API.CONSUMER.${op}.${stream}`;
  if (stream === DEAD_LETTER_STREAM) return op === "CREATE" ? `${head}.>` : `${head}.*`;
  if (stream === DELIVERY_STREAM) {
    // Parked deliveries' consumers, one per integration: the filter names the deployment.
    if (op === "CREATE" && rest[0] === "hookswitch" && rest[1] === "parked") {
      return `${head}.*.${rest.slice(0, 3).join(".")}.*`;
    }
    if (op !== "CREATE") return `${head}.*`;
  }
  if (op === "CREATE" && rest.length > 0) return `${tokens.slice(0, 5 + opLength).join(".")}.>`;
  return undefined;
}
