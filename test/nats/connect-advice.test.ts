/**
 * The advice after a failed NATS connection, where it reads the server's INFO itself: real
 * TCP peers on 127.0.0.1 that answer as a NATS server would, or as no NATS server does.
 */
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  connectAdvice,
  describeConnectError,
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

describe("the advice read from the error alone", () => {
  // Port 1 refuses at once: no INFO to read, so only the error and the settings speak.
  const REFUSING = "nats://127.0.0.1:1";
  const CREDENTIALS =
    "check the NATS credentials (NATS_USER and NATS_PASSWORD, NATS_TOKEN, NATS_CREDS, NATS_NKEY or the user-info of NATS_URL)";
  const USER_ONLY =
    "NATS_USER is set without NATS_PASSWORD (or the NATS_URL user without a password): set the user's password too";
  const noTls = (tlsBy: string, without: string) =>
    `the server offers no TLS, which ${tlsBy} requires: enable TLS in nats-server, or ${without} to connect without it`;
  const UNTRUSTED = "the NATS server's TLS certificate is not trusted for this address:";
  const user = (password: string): NatsSettings["auth"] => ({
    kind: "userPassword",
    user: "hooks",
    password,
  });

  it.each<[string, Error, Partial<NatsSettings>, string]>([
    [
      "a refused connection",
      new Error("CONNECTION_REFUSED"),
      {},
      "start nats-server or set NATS_URL",
    ],
    ["a refused login", new Error("Authorization Violation"), { auth: user("pw") }, CREDENTIALS],
    [
      "a refused login, spelt the British way",
      new Error("authorisation violation"),
      {},
      CREDENTIALS,
    ],
    ["an expired login", new Error("Authentication Expired"), {}, CREDENTIALS],
    [
      "a permissions violation",
      new Error("Permissions Violation for Subscription"),
      {},
      CREDENTIALS,
    ],
    [
      "a user without a password",
      new Error("Authorization Violation"),
      { auth: user("") },
      USER_ONLY,
    ],
    [
      "a token refused",
      new Error("Authorization Violation"),
      { auth: { kind: "token", token: "t" } },
      CREDENTIALS,
    ],
    [
      "a tls:// URL to a server without TLS",
      Object.assign(new Error("server does not support 'tls'"), { name: "NatsError" }),
      { servers: ["tls://127.0.0.1:1"] },
      noTls("tls://", "write nats://"),
    ],
    [
      "NATS_CA given for a server without TLS",
      new Error("tls is not available on this server"),
      { tls: { ca: "/run/ca.pem" } },
      noTls("NATS_CA", "write nats:// and unset NATS_CA, NATS_CERT and NATS_KEY"),
    ],
    [
      "a certificate no CA given trusts",
      new Error("self-signed certificate in certificate chain"),
      {},
      `${UNTRUSTED} name its CA with NATS_CA=/path/ca.pem (or add it with NODE_EXTRA_CA_CERTS), or connect by a name the certificate holds`,
    ],
    [
      "a certificate for another name",
      new Error(
        "Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list",
      ),
      { tls: { ca: "/run/ca.pem" } },
      `${UNTRUSTED} the CAs of NATS_CA (/run/ca.pem) must sign it, or connect by a name the certificate holds`,
    ],
  ])("for %s: %j", async (_what, error, given, advice) => {
    const settings = { servers: [REFUSING], auth: { kind: "none" as const }, ...given };
    expect(await connectAdvice(error, settings)).toBe(advice);
  });
});

describe("describeConnectError", () => {
  it.each<[string, Error, string]>([
    ["the client's code in words", new Error("CONNECTION_REFUSED"), "connection refused"],
    [
      "its name where it says nothing",
      Object.assign(new Error(""), { name: "NatsError" }),
      "natserror",
    ],
    [
      // Everything up to the last "@": a password may hold spaces, slashes and "@" written raw.
      "nothing of a URL's user-info, cutting all before it",
      new Error("could not connect to nats://hooks:S3c @/ret@127.0.0.1:4222"),
      "****@127.0.0.1:4222",
    ],
    [
      "no advice of the runtime's that does not apply",
      new Error(
        "self-signed certificate in certificate chain; if the root CA is installed locally, try running Node.js with --use-system-ca",
      ),
      "self-signed certificate in certificate chain",
    ],
  ])("says %s", (_what, error, said) => {
    expect(describeConnectError(error)).toBe(said);
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
    // JSON may space its colons; nats-server does not, but a proxy or another server may.
    { infos: ['INFO {"tls_verify" :  true}\r\n'], some: true, every: true },
  ])("$infos.length server(s), some $some, every $every", async ({ infos, some, every }) => {
    const urls = await Promise.all(infos.map((info) => peer((socket) => socket.write(info))));
    expect(await serversVerifyingClients(urls)).toEqual({ some, every });
  });

  it("counts a server whose address does not parse as one that does not verify", async () => {
    const url = await peer((socket) => socket.write(VERIFIES));
    expect(await serversVerifyingClients([url, "nats://exa mple:4222"])).toEqual({
      some: true,
      every: false,
    });
  });

  it("answers for a peer that closes at once without waiting out its second", async () => {
    const url = await peer((socket) => socket.destroy());
    const started = Date.now();
    expect(await serversVerifyingClients([url])).toEqual({ some: false, every: false });
    // The deadline is a second; the close comes in milliseconds.
    expect(Date.now() - started).toBeLessThan(900);
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

  it("says nothing when cancelled while it reads the servers", async () => {
    // The look starts after half a second; this INFO comes 0.7 s later, the cancel between.
    const url = await peer((socket) => {
      const late = setTimeout(() => socket.write(VERIFIES), 700);
      socket.on("close", () => clearTimeout(late));
    });
    const check = whenNoCertificateCanConnect([url]);
    setTimeout(() => check.cancel(), 650);
    try {
      const said = await Promise.race([
        check.hopeless.then(() => "hopeless"),
        sleep(2_000).then(() => "no verdict"),
      ]);
      expect(said).toBe("no verdict");
    } finally {
      check.cancel();
    }
  });
});
