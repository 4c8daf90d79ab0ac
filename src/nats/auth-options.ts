/**
 * The client's options for each kind of NATS authentication. The files (NATS_CREDS,
 * NATS_NKEY) are read and checked here, before any connection: the client would only find
 * a bad one while it connects, and its complaint then reads as a server that is down. They
 * are read again at each connection, so credentials rotated in place (a Kubernetes secret)
 * are used from the next reconnection on. No secret, and nothing of a file's content,
 * reaches a message.
 */
import {
  credsAuthenticator,
  nkeyAuthenticator,
  nkeys,
  type ConnectionOptions,
} from "@nats-io/transport-node";
import { NatsSetupError, coerceError } from "../errors.js";
import { readNamedFile, readNamedText } from "./named-files.js";
import type { NatsAuth } from "./settings.js";

export function authOptions(auth: NatsAuth): Partial<ConnectionOptions> {
  switch (auth.kind) {
    case "none":
      return {};
    case "userPassword":
      return { user: auth.user, pass: auth.password };
    case "token":
      return { token: auth.token };
    case "creds":
      return { authenticator: credsAuthenticator(rereadEachTime(auth.file, checkedCreds)) };
    case "nkey":
      return { authenticator: nkeyAuthenticator(rereadEachTime(auth.file, checkedSeed)) };
  }
}

/**
 * The file's checked content, read now (a problem stops the command) and again at each
 * call: at each connection. A file that no longer checks out, say one caught half-written,
 * leaves the last good content in use; the server then says whether it still accepts it.
 */
export function rereadEachTime(
  file: string,
  check: (file: string) => Uint8Array,
): () => Uint8Array {
  let lastGood = check(file);
  return () => {
    try {
      lastGood = check(file);
    } catch {
      // Kept: the last good content.
    }
    return lastGood;
  };
}

/**
 * The client parses a credentials file only while it connects, and its complaint ("unable
 * to parse credentials", "nkeys: invalid checksum") then read as "cannot reach NATS … start
 * nats-server": the operator was sent after the server instead of the file. Building the
 * authentication once here (no nonce, so nothing is signed) finds such a file before that.
 */
function checkedCreds(file: string): Uint8Array {
  const creds = readNamedFile("NATS_CREDS", file);
  try {
    credsAuthenticator(creds)(undefined);
  } catch (err) {
    throw new NatsSetupError(
      `the file named by NATS_CREDS (${file}) holds no usable NATS credentials ` +
        `(${coerceError(err).message}): give a user's .creds file, with its JWT and NKEY ` +
        "seed blocks, as `nsc generate creds` writes it",
      { cause: err },
    );
  }
  return creds;
}

/** The user seed of a NATS_NKEY file, checked, as the bytes the client signs with. */
function checkedSeed(file: string): Uint8Array {
  const found = userSeedIn(readNamedText("NATS_NKEY", file));
  if ("problem" in found) {
    throw new NatsSetupError(
      `the file named by NATS_NKEY (${file}) ${found.problem}: give a file that holds a ` +
        "user's NKey seed (a line starting with SU, as `nsc` or `nk -gen user` writes it)",
    );
  }
  return found.seed;
}

/**
 * Finds the user seed in a seed file's text: the seed alone, or among other lines (a
 * decorated block as `nsc` writes it), as the Go client reads such a file. Says what is
 * wrong without quoting the text, which is a secret.
 */
export function userSeedIn(text: string): { seed: Uint8Array } | { problem: string } {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const seedLine = lines.find((line) => line.startsWith("SU"));
  if (seedLine === undefined) {
    return lines.some((line) => /^S[AOCN]/.test(line))
      ? {
          problem: "holds an NKey seed of another kind (account, operator or server), not a user's",
        }
      : { problem: "holds no NKey seed" };
  }
  const seed = new TextEncoder().encode(seedLine);
  try {
    nkeys.fromSeed(seed).getPublicKey();
  } catch (err) {
    return { problem: `holds a user seed that is not valid (${coerceError(err).message})` };
  }
  return { seed };
}
