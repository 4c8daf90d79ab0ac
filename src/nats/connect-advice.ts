/**
 * What a failed NATS connection means and what to do about it: a refused login needs other
 * credentials, a certificate other trust, and neither another server. Also, when one is
 * slow to come, whether it can come at all without a client certificate. No URL user-info or
 * credential reaches the text.
 */
import { connect as connectTcp } from "node:net";
import { withoutRuntimeCaAdvice } from "../errors.js";
import type { NatsSettings } from "./settings.js";
import { parseServer } from "./server-urls.js";
import { tlsRequiredBy } from "./tls-options.js";
import { redactServer } from "./url-credentials.js";

/** The client's messages are terse ("CONNECTION_REFUSED"); keep them, minus any URL user-info. */
export function describeConnectError(error: Error): string {
  const message = withoutRuntimeCaAdvice(error.message) || error.name;
  return redactServer(message.toLowerCase().replace(/_/g, " "));
}

export const CLIENT_CERTIFICATE_ADVICE =
  "the NATS server requires a client certificate (TLS verify): set NATS_CERT and NATS_KEY " +
  "to a certificate signed by a CA the server trusts, and its key";

export async function connectAdvice(error: Error, settings: NatsSettings): Promise<string> {
  const said = `${error.name} ${error.message}`;
  const { tls } = settings;
  if (/does not support 'tls'|tls.*not available/i.test(said)) {
    return noTlsAdvice(tlsRequiredBy(settings.servers, tls));
  }
  if (/certificate|altnames/i.test(said)) {
    const trust =
      tls?.ca === undefined
        ? "name its CA with NATS_CA=/path/ca.pem (or add it with NODE_EXTRA_CA_CERTS)"
        : `the CAs of NATS_CA (${tls.ca}) must sign it`;
    return `the NATS server's TLS certificate is not trusted for this address: ${trust}, or connect by a name the certificate holds`;
  }
  // The server ends the handshake of a client without an acceptable certificate after the
  // client took it as done, and the client reports a timeout or a reset, not why.
  if ((await serversVerifyingClients(settings.servers)).some) {
    return tls?.client === undefined
      ? CLIENT_CERTIFICATE_ADVICE
      : `the NATS server verifies client certificates and may have refused NATS_CERT ` +
          `(${tls.client.cert}): check that a CA it trusts signed it, that it is in date and ` +
          "that it allows client authentication";
  }
  if (!/authori[sz]ation|authentication|permission/i.test(said)) {
    return "start nats-server or set NATS_URL";
  }
  const { auth } = settings;
  return auth.kind === "userPassword" && auth.password === ""
    ? "NATS_USER is set without NATS_PASSWORD (or the NATS_URL user without a password): set the user's password too"
    : "check the NATS credentials (NATS_USER and NATS_PASSWORD, NATS_TOKEN, NATS_CREDS, NATS_NKEY or the user-info of NATS_URL)";
}

function noTlsAdvice(tlsBy: string): string {
  const without =
    tlsBy === "tls://"
      ? "write nats://"
      : "write nats:// and unset NATS_CA, NATS_CERT and NATS_KEY";
  return `the server offers no TLS, which ${tlsBy} requires: enable TLS in nats-server, or ${without} to connect without it`;
}

/** A working connection takes milliseconds; only a slow one is looked into. */
const CERTIFICATE_CHECK_AFTER_MS = 500;

/**
 * Settles when every server verifies client certificates, which the command has none of: such
 * a server ends the TLS 1.3 handshake after the client took it as done, and the client then
 * waits for its whole timeout to say only "timeout". Never settles otherwise.
 */
export function whenNoCertificateCanConnect(servers: string[]): {
  hopeless: Promise<undefined>;
  cancel(): void;
} {
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  const hopeless = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      void serversVerifyingClients(servers).then(({ every }) => {
        if (every && !cancelled) resolve(undefined);
      });
    }, CERTIFICATE_CHECK_AFTER_MS);
  });
  return {
    hopeless,
    cancel() {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}

const INFO_TIMEOUT_MS = 1_000;
const MAX_INFO_BYTES = 64 * 1024;
const DEFAULT_PORT = 4222;

/**
 * Whether some or every one of the servers says, in the INFO it sends before TLS starts,
 * that it verifies client certificates. Without one the client only times out: the server
 * ends the handshake after the client took it as done, and the client drops that reason.
 */
export async function serversVerifyingClients(
  servers: string[],
): Promise<{ some: boolean; every: boolean }> {
  const answers = await Promise.all(servers.map((server) => serverInfo(server)));
  const verifies = answers.map(
    (info) => info !== undefined && /"tls_verify"\s*:\s*true/.test(info),
  );
  return { some: verifies.includes(true), every: !verifies.includes(false) };
}

/** The first line a server sends (its INFO), or undefined when none comes within a second. */
function serverInfo(server: string): Promise<string | undefined> {
  const url = parseServer(server);
  if (url === undefined) return Promise.resolve(undefined);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve) => {
    let received = "";
    const socket = connectTcp(Number(url.port || DEFAULT_PORT), host);
    // A deadline, not an idle timeout: a peer sending a byte now and then would renew that.
    const deadline = setTimeout(() => done(undefined), INFO_TIMEOUT_MS);
    const done = (info: string | undefined) => {
      clearTimeout(deadline);
      socket.destroy();
      resolve(info);
    };
    socket.on("error", () => done(undefined));
    socket.on("close", () => done(undefined));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      const end = received.indexOf("\r\n");
      if (end >= 0) done(received.startsWith("INFO ") ? received.slice(0, end) : undefined);
      else if (received.length > MAX_INFO_BYTES) done(undefined);
    });
  });
}
