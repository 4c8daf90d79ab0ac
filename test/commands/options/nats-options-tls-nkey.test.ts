/**
 * The TLS files (NATS_CA, NATS_CERT, NATS_KEY) and the NKey seed file (NATS_NKEY) among the
 * NATS settings: which variables make which settings, and which combinations are usage
 * errors. Reading the files is the connection's work (test/nats/tls-options.test.ts,
 * auth-options.test.ts).
 */
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.js";
import { parseNatsSettings, type NatsEnv } from "../../../src/commands/options/nats-options.js";

const settingsWith = (env: NatsEnv, url = "nats://host:4222") =>
  parseNatsSettings({ nats: url }, env);

function usageErrorOf(env: NatsEnv, url?: string): UsageError {
  try {
    settingsWith(env, url);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error("parsed without a usage error");
}

describe("TLS files in the NATS settings", () => {
  it.each([
    [{}, undefined],
    [{ NATS_CA: "/tls/ca.pem" }, { ca: "/tls/ca.pem" }],
    [
      { NATS_CERT: "/tls/client.pem", NATS_KEY: "/tls/client-key.pem" },
      { client: { cert: "/tls/client.pem", key: "/tls/client-key.pem" } },
    ],
    [
      { NATS_CA: "/tls/ca.pem", NATS_CERT: "/tls/client.pem", NATS_KEY: "/tls/client-key.pem" },
      { ca: "/tls/ca.pem", client: { cert: "/tls/client.pem", key: "/tls/client-key.pem" } },
    ],
    [{ NATS_CA: " ", NATS_CERT: "", NATS_KEY: "" }, undefined],
  ])("turns %j into TLS files %j", (env, tls) => {
    expect(settingsWith(env).tls).toEqual(tls);
  });

  it("keeps them apart from the credentials, which may come with them", () => {
    const env = { NATS_CA: "/tls/ca.pem", NATS_TOKEN: "t" };
    expect(settingsWith(env)).toEqual({
      servers: ["nats://host:4222"],
      auth: { kind: "token", token: "t" },
      tls: { ca: "/tls/ca.pem" },
    });
    expect(settingsWith({ NATS_CA: "/tls/ca.pem" }, "nats://u:p@host:4222").auth).toEqual({
      kind: "userPassword",
      user: "u",
      password: "p",
    });
  });

  it.each([
    [{ NATS_CERT: "/tls/client.pem" }, "NATS_CERT is set without NATS_KEY"],
    [{ NATS_KEY: "/tls/client-key.pem" }, "NATS_KEY is set without NATS_CERT"],
    [
      { NATS_CA: "/tls/ca.pem", NATS_KEY: "/tls/client-key.pem" },
      "NATS_KEY is set without NATS_CERT",
    ],
    [{ NATS_CERT: "/tls/client.pem", NATS_KEY: " " }, "NATS_CERT is set without NATS_KEY"],
  ])("refuses %j as a usage error naming both variables", (env, missing) => {
    expect(usageErrorOf(env).message).toBe(
      `${missing}: a client certificate needs its key, ` +
        "so set both NATS_CERT and NATS_KEY, or neither",
    );
  });
});

describe("an NKey seed file in the NATS settings", () => {
  it("is an authentication of its own kind", () => {
    expect(settingsWith({ NATS_NKEY: "/secrets/user.nk" }).auth).toEqual({
      kind: "nkey",
      file: "/secrets/user.nk",
    });
  });

  it.each([
    { NATS_NKEY: "/secrets/user.nk", NATS_USER: "u", NATS_PASSWORD: "p" },
    { NATS_NKEY: "/secrets/user.nk", NATS_USER: "u" },
    { NATS_NKEY: "/secrets/user.nk", NATS_TOKEN: "t" },
    { NATS_NKEY: "/secrets/user.nk", NATS_CREDS: "/secrets/user.creds" },
  ])("is refused together with another kind: %j", (env) => {
    expect(usageErrorOf(env).message).toBe(
      "set only one of NATS_CREDS, NATS_NKEY, NATS_TOKEN or NATS_USER/NATS_PASSWORD",
    );
  });

  it.each([
    { NATS_NKEY: "/secrets/user.nk", NATS_PASSWORD: "p" },
    { NATS_CREDS: "/secrets/user.creds", NATS_PASSWORD: "p" },
    { NATS_TOKEN: "t", NATS_PASSWORD: "p" },
    { NATS_PASSWORD: "p" },
  ])("refuses a password without a user, whatever else is set: %j", (env) => {
    expect(usageErrorOf(env).message).toBe("NATS_PASSWORD is set without NATS_USER");
  });

  it("is refused together with credentials in the URL, naming both", () => {
    const error = usageErrorOf({ NATS_NKEY: "/secrets/user.nk" }, "nats://hooks:s3cret@host");
    expect(error.message).toBe(
      "the --nats URL (NATS_URL) carries credentials and NATS_NKEY is set too: " +
        "give the NATS credentials in one place only",
    );
  });
});
