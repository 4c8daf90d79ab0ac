/**
 * The egress policy: which IP addresses hookswitch may open a connection to (SPEC section 4).
 *
 * Built-in deny list: link-local ranges (cloud metadata services answer there), the AWS IPv6
 * metadata address, and the unspecified addresses (0.0.0.0 and :: reach this very host).
 * Operators extend it with deny CIDRs, e.g. private ranges.
 *
 * Precedence: allow wins. An allow CIDR carves an exception out of every deny range, so an
 * operator can deny 10.0.0.0/8 and still allow the one CRM at 10.1.2.3. This is the rule of
 * the SSRF guards webhook services use (an allow list of subnets that lifts the default block),
 * and it keeps the policy a flat pair of lists with no ordering to get wrong. The price: an allow
 * as wide as the deny it overlaps lifts that deny entirely — allow the narrowest range you need.
 *
 * Loopback is allowed unless denied: tests and local demos send to 127.0.0.1.
 */
import { BlockList, isIP } from "node:net";

export interface Cidr {
  family: "ipv4" | "ipv6";
  address: string;
  prefix: number;
  /** Canonical text, e.g. `10.0.0.0/8`; used in reasons. */
  text: string;
}

export type EgressVerdict = { allowed: true } | { allowed: false; reason: string };

export interface EgressPolicy {
  /** Judges one IP address (v4 or v6; an IPv4-mapped or NAT64 v6 address as its v4 address). */
  check(ip: string): EgressVerdict;
}

const BUILT_IN_DENY: ReadonlyArray<{ cidr: string; label: string }> = [
  { cidr: "169.254.0.0/16", label: "link-local" },
  { cidr: "fe80::/10", label: "link-local" },
  { cidr: "fd00:ec2::254/128", label: "cloud metadata" },
  { cidr: "0.0.0.0/8", label: "unspecified address" },
  { cidr: "::/128", label: "unspecified address" },
];

/**
 * IPv6 ranges whose last 32 bits are an IPv4 address that a connection reaches: IPv4-mapped
 * (`::ffff:0:0/96`) and NAT64's well-known prefix (`64:ff9b::/96`, RFC 6052), through which an
 * IPv6-only cluster reaches IPv4 hosts, the metadata service among them; and the deprecated
 * IPv4-compatible form (`::a.b.c.d`, RFC 4291), which Linux does not route but other stacks
 * may. Its form needs both groups, so `::1` (loopback) and `::` stay IPv6.
 */
const EMBEDDED_V4 = [
  /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/,
  /^::([0-9a-f]{1,4}):([0-9a-f]{1,4})$/,
  // Canonical text compresses zeros: 64:ff9b::1 is 0.0.0.1, 64:ff9b:: is 0.0.0.0.
  /^64:ff9b::(?:([0-9a-f]{1,4}):)?([0-9a-f]{1,4})?$/,
];

/**
 * Canonical form of an IP address: lower-case, zone id dropped, an IPv4-mapped or NAT64 IPv6
 * address turned into dotted IPv4 — so `::ffff:a9fe:a9fe` and `64:ff9b::a9fe:a9fe` are judged
 * like `169.254.169.254`. Undefined if not an IP.
 */
export function normalizeIp(raw: string): string | undefined {
  const unbracketed = raw.startsWith("[") && raw.endsWith("]") ? raw.slice(1, -1) : raw;
  const ip = unbracketed.split("%")[0] ?? "";
  const family = isIP(ip);
  if (family === 4) return ip;
  if (family !== 6) return undefined;
  const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const mapped = EMBEDDED_V4.map((form) => form.exec(canonical)).find(Boolean);
  if (!mapped) return canonical;
  const high = parseInt(mapped[1] ?? "0", 16);
  const low = parseInt(mapped[2] ?? "0", 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

function parseOneCidr(item: string): Cidr | string {
  const [addressPart = "", prefixPart, extra] = item.split("/");
  if (extra !== undefined) return `"${item}" is not a CIDR: use ADDRESS/PREFIX, e.g. 10.0.0.0/8`;
  const ip = normalizeIp(addressPart);
  if (ip === undefined) return `"${item}" is not a CIDR: "${addressPart}" is not an IP address`;
  const family = isIP(ip) === 4 ? "ipv4" : "ipv6";
  const max = family === "ipv4" ? 32 : 128;
  // An IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range it maps.
  const mappedShift = family === "ipv4" && isIP(addressPart.split("%")[0] ?? "") === 6 ? 96 : 0;
  const badPrefix = `"${item}" has a bad prefix length: use a number from ${mappedShift} to ${max + mappedShift}`;
  if (prefixPart !== undefined && !/^\d{1,3}$/.test(prefixPart)) return badPrefix;
  const prefix = prefixPart === undefined ? max : Number(prefixPart) - mappedShift;
  if (prefix < 0 || prefix > max) return badPrefix;
  return { family, address: ip, prefix, text: `${ip}/${prefix}` };
}

/** Parses a comma-separated CIDR list (`--deny-cidr`, `HOOKSWITCH_DENY_CIDRS`). Bare IPs are hosts. */
export function parseCidrList(text: string): { cidrs: Cidr[]; problems: string[] } {
  const cidrs: Cidr[] = [];
  const problems: string[] = [];
  for (const raw of text.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    const parsed = parseOneCidr(item);
    if (typeof parsed === "string") problems.push(parsed);
    else cidrs.push(parsed);
  }
  return { cidrs, problems };
}

interface LabelledRange {
  list: BlockList;
  label: string;
}

function singleRange(cidr: Cidr, label: string): LabelledRange {
  const list = new BlockList();
  list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  return { list, label };
}

function builtInRanges(): LabelledRange[] {
  return BUILT_IN_DENY.map(({ cidr, label }) => {
    const parsed = parseOneCidr(cidr);
    if (typeof parsed === "string") throw new Error(`built-in egress range: ${parsed}`);
    return singleRange(parsed, label);
  });
}

function combined(cidrs: Cidr[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  return list;
}

/** Builds the policy: built-in deny + `deny`, minus `allow` (allow wins). */
export function createEgressPolicy(options: { deny: Cidr[]; allow: Cidr[] }): EgressPolicy {
  const denyRanges = [
    ...builtInRanges(),
    ...options.deny.map((cidr) => singleRange(cidr, `denied by ${cidr.text}`)),
  ];
  const allowList = combined(options.allow);
  const familyOf = (ip: string) => (isIP(ip) === 4 ? "ipv4" : "ipv6");
  return {
    check(raw) {
      const ip = normalizeIp(raw);
      if (ip === undefined) return { allowed: false, reason: `"${raw}" is not an IP address` };
      const family = familyOf(ip);
      if (allowList.check(ip, family)) return { allowed: true };
      const hit = denyRanges.find((range) => range.list.check(ip, family));
      return hit ? { allowed: false, reason: hit.label } : { allowed: true };
    },
  };
}
