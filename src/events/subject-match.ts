/**
 * Whether an event's subject names what its payload says (`--require-subject-match`). The
 * payload decides routing (docs/operating.md, "Tenant isolation"), so NATS publish permissions
 * on subjects keep one account's publisher from reaching another account's webhooks only when
 * hookswitch also refuses an event whose subject names another account, service or event type.
 */
import { startOf } from "../config/text.js";
import { serviceKey } from "./match.js";
import type { PbxEvent } from "./types.js";

/**
 * Why the subject does not end in `.<account>.<serviceType>.<serviceUuid>.<type>` of the
 * event (the service UUID as matching reads it: any letter case, with or without `urn:uuid:`);
 * undefined when it does. What comes before those tokens is the stream's own prefix (`pbx` by
 * default), if any.
 */
export function subjectMismatch(subject: string, event: PbxEvent): string | undefined {
  const { account, service } = event.data;
  const tokens = subject.split(".");
  const named = {
    account: tokens.at(-5),
    serviceType: tokens.at(-4),
    serviceUuid: tokens.at(-3),
    type: `${tokens.at(-2) ?? ""}.${tokens.at(-1) ?? ""}`,
  };
  const differences = [
    tokens.length < 5 ? "it has too few tokens" : undefined,
    differs("account", named.account, account),
    differs("service type", named.serviceType, service.type),
    differs(
      "service",
      named.serviceUuid && serviceKey(named.serviceUuid),
      serviceKey(service.uuid),
    ),
    differs("event type", named.type, event.type),
  ];
  const first = differences.find((d) => d !== undefined);
  if (first === undefined) return undefined;
  return (
    `its subject ${quote(subject)} does not end in .<account>.<serviceType>.<serviceUuid>.<type> ` +
    `of the event: ${first}`
  );
}

function differs(what: string, named: string | undefined, actual: string): string | undefined {
  if (named === actual) return undefined;
  return named === undefined
    ? `it names no ${what}`
    : `it names ${what} ${quote(named)}, the event is for ${quote(actual)}`;
}

/** The publisher's text, bounded and quoted: an account may be 960 KB long. */
const quote = (text: string) => JSON.stringify(startOf(text, 100));
