/**
 * NATS credentials and TLS files from the environment, under the names the nats CLI reads:
 * at most one kind of credentials, and a client certificate only with its key.
 */
import { UsageError } from "../../errors.js";
import type { NatsAuth, NatsTlsFiles } from "../../nats/settings.js";

/** The environment variables that carry NATS credentials and TLS files (NATS_USER, NATS_CA, …). */
export type NatsEnv = Record<string, string | undefined>;

export function parseAuth(env: NatsEnv): NatsAuth {
  const creds = nonEmpty(env.NATS_CREDS);
  const nkey = nonEmpty(env.NATS_NKEY);
  const token = nonEmpty(env.NATS_TOKEN);
  const user = nonEmpty(env.NATS_USER);
  const given = [creds, nkey, token, user].filter((v) => v !== undefined).length;
  if (given > 1) {
    throw new UsageError(
      "set only one of NATS_CREDS, NATS_NKEY, NATS_TOKEN or NATS_USER/NATS_PASSWORD",
    );
  }
  // Beside another kind it would be left unused without a word.
  if (user === undefined && nonEmpty(env.NATS_PASSWORD)) {
    throw new UsageError("NATS_PASSWORD is set without NATS_USER");
  }
  if (creds) return { kind: "creds", file: creds };
  if (nkey) return { kind: "nkey", file: nkey };
  if (token) return { kind: "token", token };
  if (user) return { kind: "userPassword", user, password: env.NATS_PASSWORD ?? "" };
  return { kind: "none" };
}

/** The names (never the values) of the credential variables set in `env`. */
export function credentialVariables(env: NatsEnv): string[] {
  return ["NATS_USER", "NATS_PASSWORD", "NATS_TOKEN", "NATS_CREDS", "NATS_NKEY"].filter(
    (name) => nonEmpty(env[name]) !== undefined,
  );
}

/** NATS_CA, and NATS_CERT with NATS_KEY (one without the other is a usage error). */
export function parseTlsFiles(env: NatsEnv): NatsTlsFiles | undefined {
  const ca = nonEmpty(env.NATS_CA);
  const cert = nonEmpty(env.NATS_CERT);
  const key = nonEmpty(env.NATS_KEY);
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError(
      `${cert ? "NATS_CERT is set without NATS_KEY" : "NATS_KEY is set without NATS_CERT"}: ` +
        "a client certificate needs its key, so set both NATS_CERT and NATS_KEY, or neither",
    );
  }
  if (ca === undefined && cert === undefined) return undefined;
  const files: NatsTlsFiles = {};
  if (ca) files.ca = ca;
  if (cert && key) files.client = { cert, key };
  return files;
}

export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
