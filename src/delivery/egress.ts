/**
 * The egress policy: which IP addresses hookswitch may open a connection to (docs/operating.md,
 * "Egress policy").
 *
 * Built-in deny list: link-local ranges (cloud metadata services answer there), the AWS IPv6
 * metadata address, and the unspecified addresses (0.0.0.0 and :: reach this very host).
 * Operators extend it with deny CIDRs, e.g. private ranges.
 *
 * Precedence: allow wins. An allow CIDR carves an exception out of every deny range, so an
 * operator can deny 10.0.0.0/8 and still allow the one CRM at 10.1.2.3. An IPv6 address that
 * carries an IPv4 one is judged by each: each must be allowed, or covered by no deny. This is the rule of
 * the SSRF guards webhook services use (an allow list of subnets that lifts the default block),
 * and it keeps the policy a flat pair of lists with no ordering to get wrong. The price: an allow
 * as wide as the deny it overlaps lifts that deny entirely — allow the narrowest range you need.
 *
 * Loopback is allowed unless denied: tests and local demos send to 127.0.0.1.
 */
import { BlockList, SocketAddress, isIP } from "node:net";
import { embeddedIpv4 } from "./embedded-ipv4.js";

export interface Cidr {
  family: "ipv4" | "ipv6";
  address: string;
  prefix: number;
  /** Canonical text, e.g. `10.0.0.0/8`; used in reasons. */
  text: string;
}

export type EgressVerdict = { allowed: true } | { allowed: false; reason: string };

export interface EgressPolicy {
  /** Judges one IP address, v4 or v6 (one that carries a v4 address by that one too). */
  check(ip: string): EgressVerdict;
}

/** Refused whatever the flags say, unless an allow covers them (the manifests mirror it). */
export const BUILT_IN_DENY: ReadonlyArray<{ cidr: string; label: string }> = [
  { cidr: "169.254.0.0/16", label: "link-local" },
  { cidr: "fe80::/10", label: "link-local" },
  { cidr: "fd00:ec2::254/128", label: "cloud metadata" },
  { cidr: "0.0.0.0/8", label: "unspecified address" },
  { cidr: "::/128", label: "unspecified address" },
];

/** An IP address in canonical form: lower case, zone id dropped, IPv6 zeros compressed. */
function canonicalIp(raw: string): string | undefined {
  const unbracketed = raw.startsWith("[") && raw.endsWith("]") ? raw.slice(1, -1) : raw;
  const ip = unbracketed.split("%")[0] ?? "";
  const family = isIP(ip);
  if (family === 4) return ip;
  if (family !== 6) return undefined;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

/**
 * Canonical form of an IP address, with an IPv6 address that stands for an IPv4 host
 * (IPv4-mapped, NAT64, SIIT, IPv4-compatible: embedded-ipv4.ts) turned into that dotted IPv4
 * address — so `::ffff:a9fe:a9fe` and `64:ff9b::a9fe:a9fe` read as `169.254.169.254`.
 * Undefined if not an IP.
 */
export function normalizeIp(raw: string): string | undefined {
  const ip = canonicalIp(raw);
  if (ip === undefined || isIP(ip) === 4) return ip;
  const embedded = embeddedIpv4(ip);
  return embedded && embedded.embedding !== "tunnel" ? embedded.address : ip;
}

function parseOneCidr(item: string): Cidr | string {
  const [addressPart = "", prefixPart, extra] = item.split("/");
  if (extra !== undefined) return `"${item}" is not a CIDR: use ADDRESS/PREFIX, e.g. 10.0.0.0/8`;
  const canonical = canonicalIp(addressPart);
  if (canonical === undefined) {
    return `"${item}" is not a CIDR: "${addressPart}" is not an IP address`;
  }
  // An IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range it maps. Other embedding
  // prefixes stay IPv6 ranges: a deny of 64:ff9b::/96 refuses NAT64, not all of IPv4.
  const embedded = isIP(canonical) === 6 ? embeddedIpv4(canonical) : undefined;
  const mapped = embedded?.embedding === "mapped";
  const ip = mapped ? embedded.address : canonical;
  const family = isIP(ip) === 4 ? "ipv4" : "ipv6";
  const max = family === "ipv4" ? 32 : 128;
  const mappedShift = mapped ? 96 : 0;
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

function labelledRange(cidr: Cidr, label: string): LabelledRange {
  return { list: combined([cidr]), label };
}

function builtInCidrs(): Array<{ cidr: Cidr; label: string }> {
  return BUILT_IN_DENY.map(({ cidr, label }) => {
    const parsed = parseOneCidr(cidr);
    if (typeof parsed === "string") throw new Error(`built-in egress range: ${parsed}`);
    return { cidr: parsed, label };
  });
}

function combined(cidrs: Cidr[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  return list;
}

/** Builds the policy: built-in deny + `deny`, minus `allow` (allow wins). */
export function createEgressPolicy(options: { deny: Cidr[]; allow: Cidr[] }): EgressPolicy {
  const denied = [
    ...builtInCidrs(),
    ...options.deny.map((cidr) => ({ cidr, label: `denied by ${cidr.text}` })),
  ];
  // One list for the common answer, "allowed"; each range's own list only to name the one hit.
  const anyDeny = combined(denied.map(({ cidr }) => cidr));
  const denyRanges = denied.map(({ cidr, label }) => labelledRange(cidr, label));
  const allowList = combined(options.allow);
  return {
    check(raw) {
      const ip = canonicalIp(raw);
      if (ip === undefined) return { allowed: false, reason: `"${raw}" is not an IP address` };
      // Each reading on its own: an allow lifts the denies of the address it covers, not
      // those of the IPv4 address it carries (an allow of 2000::/3 is not one of 169.254/16).
      for (const { address, note } of addressesOf(ip)) {
        // One SocketAddress for every list: a BlockList given text makes one per check.
        const socket = new SocketAddress({
          address,
          family: isIP(address) === 4 ? "ipv4" : "ipv6",
        });
        if (!anyDeny.check(socket) || allowList.check(socket)) continue;
        const hit = denyRanges.find((range) => range.list.check(socket));
        if (hit) return { allowed: false, reason: hit.label + note };
      }
      return { allowed: true };
    },
  };
}

/**
 * The addresses by which a connection to `ip` is judged: an IPv4-mapped one by its IPv4
 * address alone (it is that host), a translated one (NAT64, SIIT) by its IPv4 address first,
 * then as itself, a tunnel's (6to4, Teredo) as itself, then by its far end, named in the reason.
 */
function addressesOf(ip: string): Array<{ address: string; note: string }> {
  const embedded = isIP(ip) === 6 ? embeddedIpv4(ip) : undefined;
  const self = { address: ip, note: "" };
  if (embedded === undefined) return [self];
  const inner = { address: embedded.address, note: "" };
  if (embedded.embedding === "mapped") return [inner];
  if (embedded.embedding === "translated") return [inner, self];
  return [self, { ...inner, note: `: ${embedded.form} to ${embedded.address}` }];
}
