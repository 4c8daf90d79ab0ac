/** NATS subjects and wildcards: which subjects a stream or a consumer's filter takes. */
import type { ConsumerConfig } from "@nats-io/jetstream";

/**
 * Whether every subject `subject` matches is matched by `pattern` too (NATS wildcards:
 * `*` one token, `>` one or more at the end).
 */
export function subjectCovers(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const t = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return t.length > i;
    if (i >= t.length || t[i] === ">") return false;
    if (p[i] !== "*" && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

/**
 * Why NATS would refuse `subject` as a stream's subject or a filter, or undefined: tokens
 * are separated by dots, none empty, none holding white space, and `>` stands last.
 */
export function subjectProblem(subject: string): string | undefined {
  if (/\s/.test(subject)) return "it holds white space";
  const tokens = subject.split(".");
  if (tokens.includes(""))
    return "it has an empty token (a dot at its start or end, or two together)";
  const rest = tokens.indexOf(">");
  if (rest !== -1 && rest < tokens.length - 1) {
    return "its > stands before other tokens, and > matches the rest of a subject: put it last";
  }
  return undefined;
}

/** No filter when our subjects cover the stream; one or several otherwise. */
export function subjectFilter(
  streamSubjects: string[],
  ours: string[],
): Pick<ConsumerConfig, "filter_subject" | "filter_subjects"> {
  const coversStream = streamSubjects.every((s) => ours.some((o) => subjectCovers(o, s)));
  if (coversStream) return {};
  if (ours.length === 1) return { filter_subject: ours[0] };
  return { filter_subjects: ours };
}
