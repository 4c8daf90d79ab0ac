/**
 * IPv6 addresses that carry an IPv4 address, and what a connection to one reaches: the
 * egress policy judges such an address by its IPv4 address too, so that no IPv6 spelling
 * reaches a network the policy refuses (the metadata service at 169.254.169.254 above all).
 */

export type Embedding =
  /** The IPv4 host itself, on a dual-stack socket: judged as that address alone. */
  | "mapped"
  /** A translator (NAT64, SIIT) or the old compatible form reaches the IPv4 host. */
  | "translated"
  /** A tunnel whose far end is the IPv4 address (a 6to4 site's router, Teredo's client). */
  | "tunnel";

export interface EmbeddedIpv4 {
  address: string;
  embedding: Embedding;
  /** How the address carries it, for reasons: "NAT64", "6to4"… */
  form: string;
}

/**
 * The IPv4 address inside a canonical IPv6 address (lower case, zeros compressed, as the
 * URL parser writes it), or undefined. The forms:
 * - IPv4-mapped `::ffff:a.b.c.d` (RFC 4291);
 * - SIIT's IPv4-translated `::ffff:0:a.b.c.d` (RFC 2765);
 * - the deprecated IPv4-compatible `::a.b.c.d` (RFC 4291), which Linux does not route but
 *   other stacks may; it needs a non-zero high group, so `::1` (loopback) and `::` stay IPv6;
 * - NAT64's well-known prefix `64:ff9b::/96` (RFC 6052) and its local-use prefix
 *   `64:ff9b:1::/48` (RFC 8215), read as a /96 with the IPv4 address in the last 32 bits, the
 *   layout translators use: how an IPv6-only cluster reaches IPv4 hosts;
 * - 6to4 `2002:AABB:CCDD::/48` (RFC 3056), the address of the destination site's router;
 * - Teredo `2001:0::/32` (RFC 4380), its client's public address, stored inverted.
 */
export function embeddedIpv4(canonical: string): EmbeddedIpv4 | undefined {
  const g = groupsOf(canonical);
  if (g.length !== 8) return undefined;
  const zeros = (from: number, to: number) => g.slice(from, to).every((group) => group === 0);
  const at = (high: number, low: number, embedding: Embedding, form: string) => ({
    address: dotted(high, low),
    embedding,
    form,
  });
  const [g0, g1, g2, , g4, g5, g6 = 0, g7 = 0] = g;
  if (zeros(0, 5) && g5 === 0xffff) return at(g6, g7, "mapped", "IPv4-mapped");
  if (zeros(0, 4) && g4 === 0xffff && g5 === 0) return at(g6, g7, "translated", "SIIT");
  if (zeros(0, 6) && g6 !== 0) return at(g6, g7, "translated", "IPv4-compatible");
  if (g0 === 0x64 && g1 === 0xff9b && (zeros(2, 6) || g2 === 1)) {
    return at(g6, g7, "translated", "NAT64");
  }
  if (g0 === 0x2002) return at(g1 ?? 0, g2 ?? 0, "tunnel", "6to4");
  if (g0 === 0x2001 && g1 === 0) return at(g6 ^ 0xffff, g7 ^ 0xffff, "tunnel", "Teredo");
  return undefined;
}

/** The eight 16-bit groups of a canonical IPv6 address (no dotted part), `::` expanded. */
function groupsOf(canonical: string): number[] {
  const [head = "", tail, extra] = canonical.split("::");
  if (extra !== undefined) return [];
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const first = parse(head);
  if (tail === undefined) return first;
  const last = parse(tail);
  const missing = 8 - first.length - last.length;
  return missing < 0 ? [] : [...first, ...new Array<number>(missing).fill(0), ...last];
}

function dotted(high: number, low: number): string {
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}
