/**
 * Whether each `--nats` server is one the NATS client can connect to, checked before
 * anything starts. The client reports a bad one only when it connects, as "cannot reach
 * NATS … start nats-server", and `run` had already loaded its integrations and opened its
 * HTTP endpoints by then; `nats://host:99999` is a typo, not a server that is down.
 */
import { UsageError } from "../errors.js";

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/**
 * Throws a `UsageError` for the first server that is not `[scheme://]host[:port]`, named by
 * its place in the list, not its text: a URL whose `@` was left out reads as
 * `user:password` for a host and a port, and would be shown password and all.
 */
export function checkServerUrls(servers: string[]): void {
  for (const [i, server] of servers.entries()) {
    const problem = serverProblem(server);
    if (problem === undefined) continue;
    const which =
      servers.length > 1
        ? `server ${i + 1} of the --nats (NATS_URL) list`
        : "the --nats (NATS_URL) server";
    throw new UsageError(
      `${which} ${problem}: write nats://host:4222 (tls://host:4222 to require TLS), several ` +
        "separated by commas",
    );
  }
}

/** Whether a server URL asks for TLS, which the client then requires. */
export function asksForTls(server: string): boolean {
  return SCHEME.exec(server)?.[1]?.toLowerCase() === "tls";
}

/** A server as the client reads it (`[scheme://][user-info@]host[:port]`), or undefined. */
export function parseServer(server: string): URL | undefined {
  const scheme = SCHEME.exec(server)?.[1];
  const rest = scheme === undefined ? server : server.slice(scheme.length + 3);
  // A bare IPv6 address (`::1`), as the client takes it, reads as one in brackets.
  const host = rest.split(":").length > 2 && !rest.startsWith("[") ? `[${rest}]` : rest;
  try {
    return new URL(`nats://${host}`);
  } catch {
    return undefined;
  }
}

function serverProblem(server: string): string | undefined {
  const scheme = SCHEME.exec(server)?.[1]?.toLowerCase();
  if (scheme === "ws" || scheme === "wss")
    return "is a websocket URL, which hookswitch does not speak";
  // The client takes any scheme and only fails to resolve the host it then finds.
  if (scheme !== undefined && scheme !== "nats" && scheme !== "tls")
    return `has the scheme ${scheme}://, which is not NATS's`;
  const url = parseServer(server);
  if (url === undefined)
    return "is not a valid URL (a host, and a port from 1 to 65535; user-info ends at an @)";
  if (url.hostname === "") return "names no host";
  if (url.port === "0") return "has port 0";
  return undefined;
}
