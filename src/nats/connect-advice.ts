/**
 * What a failed NATS connection means and what to do about it: a refused login needs other
 * credentials, a certificate other trust, and neither another server. No URL user-info or
 * credential reaches the text.
 */
import { connect as connectTcp } from "node:net";
import { withoutRuntimeCaAdvice } from "../errors.js";
import type { NatsSettings } from "./settings.js";
import { tlsRequiredBy } from "./tls-options.js";
import { redactServer } from "./url-credentials.js";

/** The client's messages are terse ("CONNECTION_REFUSED"); keep them, minus any URL user-info. */
export function describeConnectError(error: Error): string {
  const message = withoutRuntimeCaAdvice(error.message) || error.name;
  return redactServer(message.toLowerCase().replace(/_/g, " "));
}

export async function connectAdvice(error: Error, settings: NatsSettings): Promise<string> {
  const said = `${error.name} ${error.message}`;
  if (/does not support 'tls'|tls.*not available/i.test(said)) {
    return noTlsAdvice(tlsRequiredBy(settings.servers, settings.tls));
  }
  if (/certificate|altnames/i.test(said)) {
    return (
      "the NATS server's TLS certificate is not trusted for this address: name its CA with " +
      "NATS_CA=/path/ca.pem (or add it with NODE_EXTRA_CA_CERTS), or connect by a name the " +
      "certificate holds"
    );
  }
  if (settings.tls?.client === undefined && (await anyVerifiesClients(settings.servers))) {
    return (
      "the NATS server requires a client certificate (TLS verify): set NATS_CERT and NATS_KEY " +
      "to a certificate signed by a CA the server trusts, and its key"
    );
  }
  return /authori[sz]ation|authentication|permission/i.test(said)
    ? "check the NATS credentials (NATS_USER and NATS_PASSWORD, NATS_TOKEN, NATS_CREDS, NATS_NKEY or the user-info of NATS_URL)"
    : "start nats-server or set NATS_URL";
}

function noTlsAdvice(tlsBy: string): string {
  const without =
    tlsBy === "tls://"
      ? "write nats://"
      : "write nats:// and unset NATS_CA, NATS_CERT and NATS_KEY";
  return `the server offers no TLS, which ${tlsBy} requires: enable TLS in nats-server, or ${without} to connect without it`;
}

const INFO_TIMEOUT_MS = 1_000;

/**
 * Whether a server says, in the INFO it sends before TLS starts, that it verifies client
 * certificates. Without one the client only times out: the server ends the handshake
 * after the client took it as done, and the client drops that reason.
 */
async function anyVerifiesClients(servers: string[]): Promise<boolean> {
  const answers = await Promise.all(servers.map((server) => serverInfo(server)));
  return answers.some((info) => info !== undefined && /"tls_verify"\s*:\s*true/.test(info));
}

/** The first line a server sends (its INFO), or undefined when none comes in time. */
function serverInfo(server: string): Promise<string | undefined> {
  const address = hostAndPort(server);
  if (address === undefined) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let received = "";
    const socket = connectTcp(address.port, address.host);
    const done = (info: string | undefined) => {
      socket.destroy();
      resolve(info);
    };
    socket.setTimeout(INFO_TIMEOUT_MS, () => done(undefined));
    socket.on("error", () => done(undefined));
    socket.on("close", () => done(undefined));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      const end = received.indexOf("\r\n");
      if (end >= 0) done(received.startsWith("INFO ") ? received.slice(0, end) : undefined);
      else if (received.length > 64 * 1024) done(undefined);
    });
  });
}

/** Host and port of a server as the client reads it (default port 4222). */
function hostAndPort(server: string): { host: string; port: number } | undefined {
  const rest = server.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/^.*@/s, "");
  const bracketed = rest.split(":").length > 2 && !rest.startsWith("[") ? `[${rest}]` : rest;
  try {
    const url = new URL(`nats://${bracketed}`);
    return { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || 4222) };
  } catch {
    return undefined;
  }
}
