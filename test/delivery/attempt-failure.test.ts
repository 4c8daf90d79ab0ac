import { describe, expect, it } from "vitest";
import {
  errorOutcome,
  renderFailure,
  unsendableOutcome,
  type FailureContext,
} from "../../src/delivery/attempt-failure.js";
import { ExchangeTimeoutError } from "../../src/delivery/exchange.js";
import { EgressDeniedError } from "../../src/errors.js";

const URL_WITH_SECRETS = "https://hook:pa55word@crm.example.com:8443/api/cb?key=s3cret-key";
const context: FailureContext = { url: URL_WITH_SECRETS, timeoutMs: 5_000 };
const ORIGIN = "https://crm.example.com:8443";

/** An error as Node or undici reports one: a message and a code. */
function coded(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function aborted(): AbortSignal {
  const controller = new AbortController();
  controller.abort();
  return controller.signal;
}

describe("errorOutcome", () => {
  it.each<[string, unknown, Partial<FailureContext>, string, string]>([
    [
      "a refused connection keeps its code",
      coded("ECONNREFUSED", "connect ECONNREFUSED 10.0.0.7:8443"),
      {},
      "ECONNREFUSED",
      `${ORIGIN}: connect ECONNREFUSED 10.0.0.7:8443`,
    ],
    [
      "every address refused at once (autoSelectFamily) takes the first one's code",
      new AggregateError([coded("ECONNREFUSED", "a"), coded("ETIMEDOUT", "b")], "all failed"),
      {},
      "ECONNREFUSED",
      `${ORIGIN}: all failed`,
    ],
    [
      "the receiver closing the connection is a reset",
      coded("UND_ERR_SOCKET", "other side closed"),
      {},
      "ECONNRESET",
      `${ORIGIN}: other side closed`,
    ],
    [
      "an unasked 100 Continue is an answer hookswitch cannot read",
      coded("UND_ERR_SOCKET", "bad response"),
      {},
      "INVALID_ANSWER",
      `${ORIGIN} answered 100 Continue unasked (no Expect header was sent): hookswitch reads no answer after it`,
    ],
    [
      "a header section over the limit is an answer hookswitch does not read",
      coded("UND_ERR_HEADERS_OVERFLOW", "Headers Overflow Error"),
      {},
      "INVALID_ANSWER",
      `${ORIGIN} answered with a header section over 16 KiB, more than hookswitch reads`,
    ],
    [
      "a status below 100 is not HTTP",
      coded(
        "ERR_ASSERTION",
        "The expression evaluated to a falsy value:\n\n  assert(statusCode >= 100)",
      ),
      {},
      "INVALID_ANSWER",
      `${ORIGIN} answered with a status code below 100, which is not HTTP`,
    ],
    [
      "an unasked 101 Switching Protocols is an answer hookswitch cannot read",
      coded("UND_ERR_SOCKET", "bad upgrade"),
      {},
      "INVALID_ANSWER",
      `${ORIGIN} answered 101 Switching Protocols unasked: hookswitch reads no answer after it`,
    ],
    [
      "an error with a code and no message names its code",
      coded("EHOSTUNREACH", ""),
      {},
      "EHOSTUNREACH",
      `${ORIGIN}: EHOSTUNREACH`,
    ],
    [
      "a message's surrounding whitespace and newlines go",
      new Error("  something odd\n"),
      {},
      "NETWORK_ERROR",
      `${ORIGIN}: something odd`,
    ],
    [
      "a two-character password is masked, a one-character user name is not",
      new Error("login u:pw refused"),
      { url: "https://u:pw@crm.example.com:8443/cb" },
      "NETWORK_ERROR",
      `${ORIGIN}: login u:**** refused`,
    ],
    [
      "a secret IPv6 host is masked with or without its brackets",
      coded("ECONNREFUSED", "connect ECONNREFUSED fd00::7:8443 ([fd00::7])"),
      { url: "https://[fd00::7]:8443/cb", secretHost: true },
      "ECONNREFUSED",
      "****: connect ECONNREFUSED ****:8443 (****)",
    ],
    [
      "a URL that does not parse is not quoted",
      new Error("cannot fetch crm example/cb?key=s3cret"),
      { url: "crm example/cb?key=s3cret" },
      "NETWORK_ERROR",
      "(invalid URL): cannot fetch (invalid URL)",
    ],
    [
      "the attempt's deadline is a timeout, named with its length",
      new ExchangeTimeoutError("deadline"),
      {},
      "TIMEOUT",
      `no complete answer from ${ORIGIN} within 5000 ms`,
    ],
    [
      "undici's own timeouts are timeouts too",
      coded("UND_ERR_HEADERS_TIMEOUT", "Headers Timeout Error"),
      {},
      "TIMEOUT",
      `no complete answer from ${ORIGIN} within 5000 ms`,
    ],
    [
      "a stop is an abort, whatever the error",
      coded("ECONNRESET", "socket hang up"),
      { signal: aborted() },
      "ABORTED",
      `attempt to ${ORIGIN} aborted (shutting down)`,
    ],
    [
      "a certificate problem is TLS",
      coded("CERT_HAS_EXPIRED", "certificate has expired"),
      {},
      "TLS",
      `${ORIGIN}: certificate has expired`,
    ],
    [
      "an untrusted certificate reads as on Node.js 20, without Node.js 24's own advice",
      coded(
        "DEPTH_ZERO_SELF_SIGNED_CERT",
        "self-signed certificate; if the root CA is installed locally, try running Node.js with --use-system-ca",
      ),
      {},
      "TLS",
      `${ORIGIN}: self-signed certificate`,
    ],
    [
      "a plain HTTP port behind an https URL says so, without OpenSSL's internals",
      coded(
        "ERR_SSL_WRONG_VERSION_NUMBER",
        "807C1F84217F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:",
      ),
      {},
      "TLS",
      `${ORIGIN}: TLS handshake failed (wrong version number): the port does not speak TLS; if it serves plain HTTP, use an http:// URL, or else the receiver's TLS port`,
    ],
    [
      "any other OpenSSL failure keeps only its reason",
      coded(
        "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
        "80AC1F84217F0000:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 40",
      ),
      {},
      "TLS",
      `${ORIGIN}: sslv3 alert handshake failure`,
    ],
    [
      "a refused address says why, and only that",
      new EgressDeniedError(
        "refused by egress policy: crm.example.com resolves to 169.254.169.254 (link-local)",
      ),
      {},
      "EGRESS_DENIED",
      "refused by egress policy: crm.example.com resolves to 169.254.169.254 (link-local)",
    ],
    [
      "an unknown failure is a network error",
      new Error("something odd"),
      {},
      "NETWORK_ERROR",
      `${ORIGIN}: something odd`,
    ],
    [
      "a message quoting the whole URL shows its origin, never its user-info or query",
      new Error(`request to ${URL_WITH_SECRETS} failed`),
      {},
      "NETWORK_ERROR",
      `${ORIGIN}: request to ${ORIGIN} failed`,
    ],
    [
      "a secret host is masked wherever the message names it",
      coded("ENOTFOUND", "getaddrinfo ENOTFOUND crm.example.com"),
      { secretHost: true },
      "ENOTFOUND",
      "****: getaddrinfo ENOTFOUND ****",
    ],
  ])("%s", (_what, error, more, code, message) => {
    expect(errorOutcome(error, { ...context, ...more })).toEqual({ kind: "error", code, message });
  });

  it.each([
    ["ECONNRESET", "ECONNRESET"],
    ["EAI_AGAIN", "EAI_AGAIN"],
    ["EHOSTUNREACH", "EHOSTUNREACH"],
    ["ENETUNREACH", "ENETUNREACH"],
    ["EPIPE", "EPIPE"],
    ["ETIMEDOUT", "TIMEOUT"],
    ["UND_ERR_BODY_TIMEOUT", "TIMEOUT"],
    ["UND_ERR_CONNECT_TIMEOUT", "TIMEOUT"],
    ["UND_ERR_INVALID_ARG", "INVALID_REQUEST"],
    ["ERR_INVALID_URL", "INVALID_REQUEST"],
    ["UND_ERR_NOT_SUPPORTED", "INVALID_REQUEST"],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "TLS"],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "TLS"],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "TLS"],
    ["EPROTO", "NETWORK_ERROR"],
  ])("reports the error code %s as %s", (errorCode, code) => {
    expect(errorOutcome(coded(errorCode, "failed"), context).code).toBe(code);
  });

  it.each([
    ["299", 299, 299],
    ["300", 300, 300],
    ["301, cut to 300 and an ellipsis", 301, 301],
  ])("keeps a message of %s characters as %i characters", (_what, length, kept) => {
    const detail = "x".repeat(length - `${ORIGIN}: `.length);
    expect(errorOutcome(new Error(detail), context).message).toHaveLength(kept);
  });

  it("keeps a message of at most 300 characters, on one line", () => {
    const outcome = errorOutcome(new Error(`${"x".repeat(200)}\n  ${"y".repeat(200)}`), context);
    expect(outcome.message).toHaveLength(301);
    expect(outcome.message).toMatch(/^https:\/\/crm\.example\.com:8443: x+ y+…$/);
  });

  it("never shows the URL's user-info or query, however a message quotes the URL", () => {
    const href = new URL(URL_WITH_SECRETS).href;
    for (const error of [
      new Error(`fetch ${URL_WITH_SECRETS}`),
      new Error(`fetch ${href}`),
      coded("ECONNREFUSED", `path /api/cb?key=s3cret-key as hook:pa55word`),
    ]) {
      const { message } = errorOutcome(error, context);
      expect(message).not.toMatch(/pa55word|s3cret-key/);
    }
  });
});

describe("the outcome of an attempt that sends nothing", () => {
  it("says which path argument is empty, and what to do", () => {
    const outcome = unsendableOutcome({ unsendable: 'webhook.pathArguments[0] "{name}" is empty' });
    expect(outcome).toEqual({
      kind: "error",
      code: "EMPTY_PATH_ARGUMENT",
      message:
        'not sent: webhook.pathArguments[0] "{name}" is empty, and a request with an empty path segment would go to another URL; if such events are to be sent, change webhook.pathArguments, then replay the dead letter',
      durationMs: 0,
    });
  });

  it.each([
    ["a short message whole", "x is undefined", "x is undefined"],
    ["a long message cut to 200 characters", "y".repeat(250), "y".repeat(200)],
  ])("keeps %s when rendering fails", (_what, message, kept) => {
    expect(renderFailure(new TypeError(message))).toEqual({
      kind: "error",
      code: "RENDER_FAILED",
      message: `the request could not be rendered (TypeError: ${kept}); this is a bug in hookswitch: please report it, and replay the dead letter once fixed`,
      durationMs: 0,
    });
  });
});
