/**
 * The advice after a failed NATS connection, where it reads the server's INFO itself: real
 * TCP peers on 127.0.0.1 that answer as a NATS server would, or as no NATS server does.
 */
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  connectAdvice,
  serversVerifyingClients,
  whenNoCertificateCanConnect,
} from "../../src/nats/connect-advice.js";
import type { NatsSettings } from "../../src/nats/settings.js";
import { startTcpPeer, type TcpPeer } from "../support/silent-port.js";
import { sleep } from "../support/wait.js";

const VERIFIES = 'INFO {"server_id":"x","tls_required":true,"tls_verify":true}\r\n';
const PLAIN = 'INFO {"server_id":"x","tls_required":false}\r\n';
const TIMEOUT = Object.assign(new Error("TIMEOUT"), { name: "NatsError" });

const peers: TcpPeer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((started) => started.close()));
});

/** A peer that does `onConnection` with each socket; its address as a NATS URL. */
async function peer(onConnection: (socket: Socket) => void): Promise<string> {
  const started = await startTcpPeer(onConnection);
  peers.push(started);
  return `nats://127.0.0.1:${started.port}`;
}

const settings = (url: string, tls?: NatsSettings["tls"]): NatsSettings => ({
  servers: [url],
  auth: { kind: "none" },
  ...(tls ? { tls } : {}),
});

describe("the advice after a failed connection", () => {
  it("asks for a client certificate where the server's INFO says it verifies clients", async () => {
    const url = await peer((socket) => {
      // In two pieces, as TCP may deliver it.
      socket.write(VERIFIES.slice(0, 20));
      setTimeout(() => socket.write(VERIFIES.slice(20)), 50);
    });
    expect(await connectAdvice(TIMEOUT, settings(url))).toMatch(
      /^the NATS server requires a client certificate \(TLS verify\): set NATS_CERT and NATS_KEY/,
    );
  });

  it("names the client certificate given where such a server refused it", async () => {
    const url = await peer((socket) => socket.write(VERIFIES));
    const tls = { client: { cert: "/run/nats/tls.crt", key: "/run/nats/tls.key" } };
    expect(await connectAdvice(TIMEOUT, settings(url, tls))).toBe(
      "the NATS server verifies client certificates and may have refused NATS_CERT " +
        "(/run/nats/tls.crt): check that a CA it trusts signed it, that it is in date and " +
        "that it allows client authentication",
    );
  });

  it.each<[string, (socket: Socket) => void]>([
    ["a server that verifies no client", (socket) => socket.write(PLAIN)],
    ["a peer whose first line is not an INFO", (socket) => socket.write("HTTP/1.1 400 x\r\n")],
    ["a silent peer", () => undefined],
    ["a peer that closes at once", (socket) => socket.destroy()],
  ])("says to start nats-server for %s", async (_what, onConnection) => {
    const url = await peer(onConnection);
    expect(await connectAdvice(TIMEOUT, settings(url))).toBe("start nats-server or set NATS_URL");
  });

  it("gives up reading a peer that trickles bytes without a line end after a second", async () => {
    const url = await peer((socket) => {
      const trickle = setInterval(() => socket.write("x"), 100);
      socket.on("close", () => clearInterval(trickle));
    });
    const started = Date.now();
    expect(await connectAdvice(TIMEOUT, settings(url))).toBe("start nats-server or set NATS_URL");
    // A deadline of a second, where an idle timeout would wait as long as the bytes come.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("names the NATS_CA file when it does not trust the server's certificate", async () => {
    const error = new Error("unable to verify the first certificate");
    expect(await connectAdvice(error, settings("nats://127.0.0.1:1", { ca: "/run/ca.pem" }))).toBe(
      "the NATS server's TLS certificate is not trusted for this address: the CAs of NATS_CA " +
        "(/run/ca.pem) must sign it, or connect by a name the certificate holds",
    );
  });
});

describe("which servers verify client certificates", () => {
  it.each([
    { infos: [VERIFIES], some: true, every: true },
    { infos: [PLAIN], some: false, every: false },
    { infos: [VERIFIES, VERIFIES], some: true, every: true },
    { infos: [VERIFIES, PLAIN], some: true, every: false },
    { infos: [PLAIN, VERIFIES], some: true, every: false },
    { infos: [VERIFIES, "not an INFO line\r\n"], some: true, every: false },
  ])("$infos.length server(s), some $some, every $every", async ({ infos, some, every }) => {
    const urls = await Promise.all(infos.map((info) => peer((socket) => socket.write(info))));
    expect(await serversVerifyingClients(urls)).toEqual({ some, every });
  });
});

describe("whether a command without a client certificate can connect at all", () => {
  /** What the check says within two seconds (it looks after half a second). */
  async function verdict(infos: string[], cancelAfterMs?: number): Promise<string> {
    const urls = await Promise.all(infos.map((info) => peer((socket) => socket.write(info))));
    const check = whenNoCertificateCanConnect(urls);
    if (cancelAfterMs !== undefined) setTimeout(() => check.cancel(), cancelAfterMs);
    try {
      return await Promise.race([
        check.hopeless.then(() => "hopeless"),
        sleep(2_000).then(() => "no verdict"),
      ]);
    } finally {
      check.cancel();
    }
  }

  it.each([
    ["every server verifies clients", "hopeless", [VERIFIES, VERIFIES]],
    ["one server of two does not", "no verdict", [VERIFIES, PLAIN]],
    ["no server verifies clients", "no verdict", [PLAIN]],
  ])("when %s: %s", async (_, expected, infos) => {
    expect(await verdict(infos)).toBe(expected);
  });

  it("says nothing once cancelled, as when the connection came", async () => {
    expect(await verdict([VERIFIES], 100)).toBe("no verdict");
  });
});
