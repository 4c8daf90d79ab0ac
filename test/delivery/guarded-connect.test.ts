import { describe, expect, it } from "vitest";
import { createEgressPolicy, parseCidrList } from "../../src/delivery/egress.js";
import { guardedConnector } from "../../src/delivery/guarded-connect.js";

/** What the connector answers for `hostname`: an error's message, or "connected". */
function connectTo(deny: string, hostname: string): Promise<string> {
  const egress = createEgressPolicy({ deny: parseCidrList(deny).cidrs, allow: [] });
  const connect = guardedConnector(egress, undefined, 1_000);
  return new Promise((resolve) => {
    connect(
      { hostname, host: hostname, port: "9", protocol: "http:", servername: "" },
      (err, socket) => {
        socket?.destroy();
        resolve(err ? `${err.name}: ${err.message}` : "connected");
      },
    );
  });
}

describe("a literal IP in a webhook URL", () => {
  it("is judged as written before any packet leaves: an IPv6 deny of a translated form holds", async () => {
    // SIIT's ::ffff:0:127.0.0.1 carries 127.0.0.1, which is allowed; its prefix is denied.
    expect(await connectTo("::ffff:0:0:0/96", "[::ffff:0:7f00:1]")).toBe(
      "EgressDeniedError: refused by egress policy: [::ffff:0:7f00:1] is 127.0.0.1 (denied by ::ffff:0:0:0/96)",
    );
  });

  it("is judged by the IPv4 address it carries too", async () => {
    expect(await connectTo("127.0.0.0/8", "[::ffff:7f00:1]")).toMatch(
      /^EgressDeniedError: refused by egress policy: .* \(denied by 127\.0\.0\.0\/8\)$/,
    );
  });
});
