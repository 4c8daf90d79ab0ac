/**
 * Credentials in the user-info of NATS server URLs (`nats://user:password@host`,
 * `nats://token@host`), as the nats CLI and the Go client read them; the NATS client for
 * Node.js ignores them. And how a server URL is shown: never with its user-info.
 */
import { UsageError } from "../errors.js";
import type { NatsAuth } from "./settings.js";

/** The credentials a server URL's user-info may carry: user and password, or a token. */
export type UrlAuth = Extract<NatsAuth, { kind: "none" | "userPassword" | "token" }>;

/**
 * Takes the user-info out of server URLs, as the nats CLI and the Go client read it:
 * `user:password@` is a user and password, `token@` (no colon) a token, both
 * percent-decoded. Returns the URLs without it (the NATS client ignores it, and it must
 * reach no log) and the credentials. One connection logs in to every server (and to those
 * a cluster announces) with one set of credentials: URLs that carry user-info must all carry
 * the same; a URL without any uses them too.
 */
export function credentialsFromUrls(urls: string[]): { servers: string[]; auth: UrlAuth } {
  let auth: UrlAuth = { kind: "none" };
  let from: string | undefined;
  const servers = urls.map((url, i) => {
    const { scheme, userInfo, rest } = splitUserInfo(url);
    if (userInfo === undefined) return url;
    if (scheme === "" && i > 0 && splitUserInfo(urls[i - 1] ?? "").userInfo === undefined) {
      throw ambiguousComma(i);
    }
    const found = userInfoAuth(url, userInfo);
    if (from !== undefined && !sameAuth(auth, found)) {
      throw new UsageError(
        `the --nats URLs ${from} and ${redactServer(url)} carry different credentials: ` +
          "one connection uses one set, so give every URL the same user-info (or put it on one)",
      );
    }
    auth = found;
    from ??= redactServer(url);
    return `${scheme}${rest}`;
  });
  return { servers, auth };
}

/**
 * `nats://user:pa,ss@host` splits into `nats://user:pa` and `ss@host`: a comma in user-info
 * cuts it in two, and the first half, with no `@` left, would be shown (and used) as a server
 * of its own. Such a list is refused without quoting either half; a server with user-info
 * after one without is taken as a comma's work unless it has its scheme.
 */
function ambiguousComma(index: number): UsageError {
  return new UsageError(
    `server ${index + 1} of the --nats list has user-info but no scheme, after a server without ` +
      "user-info: a comma separates servers, so if a user name, password or token holds one, " +
      "write it as %2C; otherwise write that server as nats://user:password@host",
  );
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** `scheme://userinfo@rest`: the user-info runs to the last `@` (an unencoded `@` in a password stays in it). */
function splitUserInfo(url: string): { scheme: string; userInfo?: string; rest: string } {
  const scheme = SCHEME.exec(url)?.[0] ?? "";
  const afterScheme = url.slice(scheme.length);
  const at = afterScheme.lastIndexOf("@");
  if (at < 0) return { scheme, rest: afterScheme };
  return { scheme, userInfo: afterScheme.slice(0, at), rest: afterScheme.slice(at + 1) };
}

function userInfoAuth(url: string, userInfo: string): UrlAuth {
  const shown = redactServer(url);
  if (userInfo === "") {
    throw new UsageError(`the --nats URL ${shown} has an "@" but no user or token before it`);
  }
  const colon = userInfo.indexOf(":");
  if (colon < 0) return { kind: "token", token: percentDecode(shown, userInfo) };
  const user = percentDecode(shown, userInfo.slice(0, colon));
  if (user === "") {
    throw new UsageError(`the --nats URL ${shown} has a password but no user name before it`);
  }
  return { kind: "userPassword", user, password: percentDecode(shown, userInfo.slice(colon + 1)) };
}

function percentDecode(shown: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new UsageError(
      `the user-info of the --nats URL ${shown} is not valid percent-encoding (write % as %25)`,
    );
  }
}

function sameAuth(a: UrlAuth, b: UrlAuth): boolean {
  if (a.kind === "userPassword" && b.kind === "userPassword") {
    return a.user === b.user && a.password === b.password;
  }
  if (a.kind === "token" && b.kind === "token") return a.token === b.token;
  return a.kind === b.kind;
}

/**
 * A server URL fit for logs and messages: any user-info is replaced by `****`. It runs to
 * the last `@`, as `credentialsFromUrls` reads it, so no part of a password that holds an
 * unencoded `@` or `/` is shown.
 */
export function redactServer(server: string): string {
  return server.replace(/^([a-z][a-z0-9+.-]*:\/\/)?.*@/is, (_m, scheme: string | undefined) => {
    return `${scheme ?? ""}****@`;
  });
}
