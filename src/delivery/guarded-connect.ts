/**
 * Connections that apply the egress policy where a connection is made: a literal IP is
 * judged before any packet leaves, a hostname right after DNS resolution, and the
 * connected socket's peer address once more, so neither a hostname nor a literal can reach
 * a refused network. Certificates are always verified; a private CA is trusted besides
 * the system's.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import { rootCertificates } from "node:tls";
import { buildConnector } from "undici";
import { EgressDeniedError } from "../errors.js";
import { normalizeIp, type EgressPolicy } from "./egress.js";

function refusal(host: string, ip: string, reason: string): EgressDeniedError {
  const literal = normalizeIp(host) !== undefined;
  const target = host === ip ? ip : literal ? `${host} is ${ip}` : `${host} resolves to ${ip}`;
  return new EgressDeniedError(`refused by egress policy: ${target} (${reason})`);
}

/** DNS lookup that refuses the whole answer if any address is refused: no partial smuggling. */
function guardedLookup(egress: EgressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, "", 4);
      for (const { address } of addresses) {
        const verdict = egress.check(address);
        if (!verdict.allowed) return callback(refusal(hostname, address, verdict.reason), "", 4);
      }
      const first = addresses[0];
      if (!first) return callback(new Error(`${hostname} has no address`), "", 4);
      // With autoSelectFamily (Node 20's default) net asks for every address.
      if ((options as { all?: boolean }).all) {
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      }
      return callback(null, first.address, first.family);
    });
  };
}

/**
 * `connectTimeoutMs` bounds connection set-up (TCP and TLS handshake): undici goes on with it
 * after the request that asked for it is aborted, so it is the attempt's own timeout.
 */
export function guardedConnector(
  egress: EgressPolicy,
  tlsCa: string | undefined,
  connectTimeoutMs: number,
): buildConnector.connector {
  const connector = buildConnector({
    timeout: connectTimeoutMs,
    lookup: guardedLookup(egress),
    ...(tlsCa === undefined ? {} : { ca: [...rootCertificates, tlsCa] }),
  });
  return (options, callback) => {
    // The literal as written, each of its readings judged (a NAT64 address as itself too).
    const literal = normalizeIp(options.hostname);
    if (literal !== undefined) {
      const verdict = egress.check(options.hostname);
      if (!verdict.allowed)
        return callback(refusal(options.hostname, literal, verdict.reason), null);
    }
    connector(options, (error, socket) => {
      if (error) return callback(error, null);
      const peer = socket.remoteAddress ?? "";
      const verdict = egress.check(peer);
      if (verdict.allowed) return callback(null, socket);
      socket.destroy();
      return callback(refusal(options.hostname, peer, verdict.reason), null);
    });
  };
}
