import { describe, expect, it } from "vitest";
import { createEgressPolicy, normalizeIp, parseCidrList } from "../../src/delivery/egress.js";

const cidrs = (text: string) => {
  const parsed = parseCidrList(text);
  expect(parsed.problems).toEqual([]);
  return parsed.cidrs;
};

describe("parseCidrList", () => {
  it.each([
    ["10.0.0.0/8", ["10.0.0.0/8"]],
    [" 10.0.0.0/8 , 192.168.0.0/16 ", ["10.0.0.0/8", "192.168.0.0/16"]],
    ["10.1.2.3", ["10.1.2.3/32"]],
    ["fc00::/7", ["fc00::/7"]],
    ["FC00::1", ["fc00::1/128"]],
    ["::ffff:10.0.0.0/104", ["10.0.0.0/8"]],
    // Other prefixes that carry IPv4 addresses stay IPv6 ranges: not all of IPv4.
    ["64:ff9b::/96", ["64:ff9b::/96"]],
    ["2002::/16", ["2002::/16"]],
    ["64:ff9b::a9fe:a9fe", ["64:ff9b::a9fe:a9fe/128"]],
    ["", []],
    [",,", []],
  ])("reads %j as %j", (text, expected) => {
    expect(cidrs(text).map((cidr) => cidr.text)).toEqual(expected);
  });

  it.each([
    ["10.0.0.0/33", /prefix length: use a number from 0 to 32/],
    ["fc00::/129", /prefix length: use a number from 0 to 128/],
    ["10.0.0.0/x", /bad prefix length: use a number from 0 to 32$/],
    ["example.com/8", /not an IP address/],
    ["10.0.0.0/8/8", /not a CIDR/],
    ["300.0.0.1", /not an IP address/],
    ["10.0.0.0/0008", /bad prefix length/],
    // An IPv4-mapped range takes the IPv6 prefixes that keep its IPv4 part whole.
    ["::ffff:10.0.0.0/95", /bad prefix length: use a number from 96 to 128$/],
    ["::ffff:10.0.0.0/129", /bad prefix length: use a number from 96 to 128$/],
    ["::ffff:10.0.0.0/x", /bad prefix length: use a number from 96 to 128$/],
  ])("reports %j as a problem", (text, message) => {
    const parsed = parseCidrList(`192.168.0.0/16,${text}`);
    expect(parsed.cidrs.map((cidr) => cidr.text)).toEqual(["192.168.0.0/16"]);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]).toMatch(message);
  });
});

describe("normalizeIp", () => {
  it.each([
    ["169.254.169.254", "169.254.169.254"],
    ["::ffff:169.254.169.254", "169.254.169.254"],
    ["::ffff:a9fe:a9fe", "169.254.169.254"],
    ["0:0:0:0:0:FFFF:A9FE:A9FE", "169.254.169.254"],
    ["64:ff9b::a9fe:a9fe", "169.254.169.254"],
    ["64:ff9b::169.254.169.254", "169.254.169.254"],
    ["64:ff9b::1", "0.0.0.1"],
    ["64:ff9b::", "0.0.0.0"],
    ["::169.254.169.254", "169.254.169.254"],
    ["::a9fe:a9fe", "169.254.169.254"],
    ["::ffff:1", "255.255.0.1"], // not IPv4-mapped (::ffff:x:y) but the compatible form
    ["64:ff9b:1::a9fe:a9fe", "169.254.169.254"],
    ["64:ff9b:1:abcd:ef::a9fe:a9fe", "169.254.169.254"],
    ["::ffff:0:a9fe:a9fe", "169.254.169.254"],
    ["64:ff9b:2::a9fe:a9fe", "64:ff9b:2::a9fe:a9fe"],
    // A tunnel's address is its own: its far end is another host.
    ["2002:a9fe:a9fe::1", "2002:a9fe:a9fe::1"],
    ["[::1]", "::1"],
    ["fe80::1%eth0", "fe80::1"],
    ["example.com", undefined],
  ])("turns %j into %j", (raw, expected) => {
    expect(normalizeIp(raw)).toBe(expected);
  });
});

describe("the default egress policy", () => {
  const policy = createEgressPolicy({ deny: [], allow: [] });

  it.each([
    ["169.254.169.254", "link-local"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::ffff:a9fe:a9fe", "link-local"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["::169.254.169.254", "link-local"],
    ["64:ff9b:1::a9fe:a9fe", "link-local"],
    ["::ffff:0:a9fe:a9fe", "link-local"],
    ["2002:a9fe:a9fe::1", "link-local: 6to4 to 169.254.169.254"],
    // Teredo stores its client's address inverted: 5601:5601 is 169.254.169.254.
    ["2001:0:4136:e378:8000:63bf:5601:5601", "link-local: Teredo to 169.254.169.254"],
    ["64:ff9b::", "unspecified address"],
    ["169.254.0.1", "link-local"],
    ["169.254.255.255", "link-local"],
    ["fe80::1", "link-local"],
    ["febf:ffff::1", "link-local"],
    ["fd00:ec2::254", "cloud metadata"],
    ["0.0.0.0", "unspecified address"],
    ["0.1.2.3", "unspecified address"],
    ["0.255.255.255", "unspecified address"],
    ["::", "unspecified address"],
  ])("refuses %s as %s", (ip, reason) => {
    expect(policy.check(ip)).toEqual({ allowed: false, reason });
  });

  it.each([
    "127.0.0.1",
    "::1",
    "10.1.2.3",
    "192.168.1.1",
    "8.8.8.8",
    "2001:db8::1",
    "169.255.0.1",
    "169.253.255.255",
    "1.0.0.0",
    "fec0::1",
    "64:ff9b::808:808",
    "2002:808:808::1",
    "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
  ])("allows %s", (ip) => {
    expect(policy.check(ip)).toEqual({ allowed: true });
  });

  it("refuses something that is not an IP address", () => {
    expect(policy.check("example.com")).toMatchObject({ allowed: false });
  });
});

describe("an egress policy with operator CIDRs", () => {
  const policy = createEgressPolicy({
    deny: cidrs("10.0.0.0/8,127.0.0.0/8,fc00::/7"),
    allow: cidrs("10.1.2.3,169.254.10.0/24"),
  });

  it.each([
    ["10.9.9.9", { allowed: false, reason: "denied by 10.0.0.0/8" }],
    ["::ffff:10.9.9.9", { allowed: false, reason: "denied by 10.0.0.0/8" }],
    ["127.0.0.1", { allowed: false, reason: "denied by 127.0.0.0/8" }],
    ["fd12::1", { allowed: false, reason: "denied by fc00::/7" }],
    ["169.254.169.254", { allowed: false, reason: "link-local" }],
    ["10.1.2.3", { allowed: true }],
    ["::ffff:10.1.2.3", { allowed: true }],
    ["10.1.2.4", { allowed: false, reason: "denied by 10.0.0.0/8" }],
    ["169.254.10.20", { allowed: true }],
    ["8.8.8.8", { allowed: true }],
    ["64:ff9b::a09:909", { allowed: false, reason: "denied by 10.0.0.0/8" }],
    ["64:ff9b::a01:203", { allowed: true }],
    ["2002:a09:909::1", { allowed: false, reason: "denied by 10.0.0.0/8: 6to4 to 10.9.9.9" }],
    ["2002:a01:203::1", { allowed: true }],
  ])("judges %s as %j (allow wins over deny)", (ip, verdict) => {
    expect(policy.check(ip)).toEqual(verdict);
  });
});

describe("an egress policy that denies a prefix carrying IPv4 addresses", () => {
  const policy = createEgressPolicy({ deny: cidrs("64:ff9b::/96,2002::/16"), allow: [] });

  it.each([
    ["64:ff9b::808:808", { allowed: false, reason: "denied by 64:ff9b::/96" }],
    ["2002:808:808::1", { allowed: false, reason: "denied by 2002::/16" }],
    // The IPv4 hosts themselves stay reachable: only the translation is refused.
    ["8.8.8.8", { allowed: true }],
    ["::ffff:8.8.8.8", { allowed: true }],
  ])("judges %s as %j", (ip, verdict) => {
    expect(policy.check(ip)).toEqual(verdict);
  });
});

describe("an egress policy whose allow covers an IPv6 address carrying a refused IPv4 one", () => {
  it.each([
    // "IPv6: global unicast only": the IPv4 address a tunnel or translator reaches still counts.
    ["10.0.0.0/8,::/0", "2000::/3", "2002:a9fe:a9fe::1", "link-local: 6to4 to 169.254.169.254"],
    [
      "10.0.0.0/8,::/0",
      "2000::/3",
      "2001:0:4136:e378:8000:63bf:5601:5601",
      "link-local: Teredo to 169.254.169.254",
    ],
    ["10.0.0.0/8,::/0", "2000::/3", "2002:a09:909::1", "denied by 10.0.0.0/8: 6to4 to 10.9.9.9"],
    ["", "64:ff9b::/96", "64:ff9b::a9fe:a9fe", "link-local"],
  ])("deny %s, allow %s: refuses %s (%s)", (deny, allow, ip, reason) => {
    const policy = createEgressPolicy({
      deny: parseCidrList(deny).cidrs,
      allow: cidrs(allow),
    });
    expect(policy.check(ip)).toEqual({ allowed: false, reason });
  });
});
