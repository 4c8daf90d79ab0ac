/**
 * Whether a NATS subject falls under a filter, as the server matches them: `*` stands for one
 * token, a last `>` for one or more.
 */
export function matchesFilter(filter: string, subject: string): boolean {
  const wanted = filter.split(".");
  const tokens = subject.split(".");
  for (let i = 0; i < wanted.length; i++) {
    if (wanted[i] === ">" && i === wanted.length - 1) return tokens.length > i;
    if (i >= tokens.length || (wanted[i] !== "*" && wanted[i] !== tokens[i])) return false;
  }
  return tokens.length === wanted.length;
}
