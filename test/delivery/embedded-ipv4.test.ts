/**
 * The IPv4 address an IPv6 address carries, which the egress policy judges too: each form
 * read with the metadata service's 169.254.169.254 inside, and its near misses read as none.
 */
import { describe, expect, it } from "vitest";
import { embeddedIpv4 } from "../../src/delivery/embedded-ipv4.js";

const METADATA = "169.254.169.254";

describe("embeddedIpv4", () => {
  it.each([
    ["::ffff:a9fe:a9fe", "mapped", "IPv4-mapped"],
    ["::ffff:0:a9fe:a9fe", "translated", "SIIT"],
    ["::a9fe:a9fe", "translated", "IPv4-compatible"],
    ["64:ff9b::a9fe:a9fe", "translated", "NAT64"],
    ["64:ff9b:1::a9fe:a9fe", "translated", "NAT64"],
    ["2002:a9fe:a9fe::1", "tunnel", "6to4"],
    // Teredo stores its client's address inverted: 0x5601 is 0xa9fe with every bit flipped.
    ["2001:0:4136:e378:8000:63bf:5601:5601", "tunnel", "Teredo"],
  ])("reads %s as %s (%s)", (canonical, embedding, form) => {
    expect(embeddedIpv4(canonical)).toEqual({ address: METADATA, embedding, form });
  });

  it.each([
    ["::1", "loopback, whose high group is zero"],
    ["::", "the unspecified address"],
    ["::ffff:1:a9fe:a9fe", "a group after ffff that SIIT leaves zero"],
    ["64:ff9b:2::a9fe:a9fe", "a NAT64 prefix other than the well-known and local-use ones"],
    ["65:ff9b::a9fe:a9fe", "a first group one past NAT64's"],
    ["64:ff9c::a9fe:a9fe", "a second group one past NAT64's"],
    ["2001:db8::5601:5601", "a 2001: prefix that is not Teredo's"],
    ["2606:4700::1111", "a public address"],
    ["fe80::1", "a link-local address"],
    ["1::2::3", "two ::, which no address has"],
    ["1:2:3:4:5:6:7:8:9", "nine groups"],
  ])("reads no IPv4 address in %s: %s", (canonical) => {
    expect(embeddedIpv4(canonical)).toBeUndefined();
  });

  it("reads the IPv4 address from the groups that carry it", () => {
    expect(embeddedIpv4("::ffff:a00:1")?.address).toBe("10.0.0.1");
    expect(embeddedIpv4("2002:c000:201::")?.address).toBe("192.0.2.1");
  });
});
