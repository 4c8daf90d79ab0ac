/**
 * NKey authentication (NATS_NKEY): the seed found in its file, a file without a valid user
 * seed refused before any connection, and a real nats-server that knows the NKey user.
 * The seed appears in no message.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nkeys } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NatsSetupError } from "../../src/errors.js";
import { rereadEachTime, userSeedIn } from "../../src/nats/auth-options.js";
import { connectNats } from "../../src/nats/connection.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { freePort } from "../support/wait.js";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const user = nkeys.createUser();
const seed = text(user.getSeed());
const accountSeed = text(nkeys.createAccount().getSeed());
const otherSeed = (kind: "Operator" | "Server" | "Cluster") =>
  text(nkeys[`create${kind}`]().getSeed());
const decorated =
  "-----BEGIN USER NKEY SEED-----\n" + `${seed}\n` + "------END USER NKEY SEED------\n";

describe("the user seed in a NATS_NKEY file", () => {
  it.each([
    ["the seed alone", `${seed}\n`],
    ["without a newline", seed],
    ["with Windows line ends and spaces", `  ${seed}  \r\n`],
    ["in a decorated block", `some comment\n${decorated}`],
  ])("is found %s", (_how, fileText) => {
    const found = userSeedIn(fileText);
    expect("seed" in found && text(found.seed)).toBe(seed);
  });

  it.each([
    ["an empty file", "", "holds no NKey seed"],
    ["a password", "s3cret-password\n", "holds no NKey seed"],
    ["a public key", `${user.getPublicKey()}\n`, "holds no NKey seed"],
    ["a line with SA inside it", "VISA-ACCOUNT\n", "holds no NKey seed"],
    ["an account seed", `${accountSeed}\n`, "holds an NKey seed of another kind"],
    ["an operator seed", `${otherSeed("Operator")}\n`, "holds an NKey seed of another kind"],
    ["a server seed", `${otherSeed("Server")}\n`, "holds an NKey seed of another kind"],
    ["a cluster seed", `${otherSeed("Cluster")}\n`, "holds an NKey seed of another kind"],
    [
      "a seed with a wrong checksum",
      `${seed.slice(0, -4)}AAAA\n`,
      "holds a user seed that is not valid",
    ],
    ["a cut seed", `${seed.slice(0, 20)}\n`, "holds a user seed that is not valid"],
  ])("is not found in %s, and the problem quotes nothing of it", (_what, fileText, problem) => {
    const found = userSeedIn(fileText);
    expect("problem" in found && found.problem).toMatch(new RegExp(`^${problem}`));
    const shown = "problem" in found ? found.problem : "";
    for (const secret of [seed.slice(2, 20), accountSeed.slice(2, 20), "s3cret"]) {
      expect(shown).not.toContain(secret);
    }
  });
});

describe("logging in with an NKey", () => {
  let dir: string;
  let server: NatsServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hookswitch-nkey-"));
    const config = join(dir, "nats.conf");
    writeFileSync(config, `authorization { users = [ { nkey: "${user.getPublicKey()}" } ] }\n`);
    server = await startNatsServer(["-c", config]);
  });
  afterAll(async () => {
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const connectWith = (fileText: string, url = server.url) => {
    const file = join(dir, "user.nk");
    writeFileSync(file, fileText);
    const settings = { servers: [url], auth: { kind: "nkey" as const, file } };
    return connectNats(settings, { name: "nkey-test", waitOnFirstConnect: false });
  };

  it("logs in to a server that knows the user's public key", async () => {
    const nc = await connectWith(decorated);
    await nc.close();
  });

  it("is refused with another user's seed, and told to check the credentials", async () => {
    const other = text(nkeys.createUser().getSeed());
    const error = await connectWith(`${other}\n`).then(
      () => new Error("connected"),
      (err: unknown) => err as Error,
    );
    expect(error.message).toMatch(
      /^cannot reach NATS at .*: authorization violation.* — check the NATS credentials \(.*NATS_NKEY.*\)$/,
    );
    expect(error.message).not.toContain(other.slice(2, 20));
  });

  it("refuses a file without a user seed before any connection, naming the variable and file", async () => {
    // Nothing listens there: an attempt to connect would say "connection refused".
    const nowhere = `nats://127.0.0.1:${await freePort()}`;
    const error = await connectWith(`${accountSeed}\n`, nowhere).then(
      () => new Error("connected"),
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(NatsSetupError);
    expect(error.message).toMatch(
      /^the file named by NATS_NKEY \(.*user\.nk\) holds an NKey seed of another kind .*: give a file that holds a user's NKey seed/,
    );
    expect(error.message).not.toContain(accountSeed.slice(2, 20));
  });

  it("says so when the file cannot be read", async () => {
    const settings = {
      servers: [server.url],
      auth: { kind: "nkey" as const, file: join(dir, "missing.nk") },
    };
    await expect(
      connectNats(settings, { name: "nkey-test", waitOnFirstConnect: false }),
    ).rejects.toThrow(/^cannot read the file named by NATS_NKEY \(.*missing\.nk\)/);
  });
});

describe("credential files rotated in place", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "hookswitch-rotate-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("are read again at each call, the last good content kept when the file no longer checks out", () => {
    const file = join(dir, "user.nk");
    const check = (path: string) => {
      const found = userSeedIn(readFileSync(path, "utf8"));
      if ("problem" in found) throw new Error(found.problem);
      return found.seed;
    };
    const next = nkeys.createUser();
    writeFileSync(file, decorated);
    const current = rereadEachTime(file, check);
    expect(text(current())).toBe(seed);
    writeFileSync(file, text(next.getSeed()));
    expect(text(current())).toBe(text(next.getSeed()));
    for (const broken of ["half-writ", ""]) {
      writeFileSync(file, broken);
      expect(text(current())).toBe(text(next.getSeed()));
    }
    rmSync(file);
    expect(text(current())).toBe(text(next.getSeed()));
  });

  it("log in with the new seed when the server comes back knowing only that one", async () => {
    const config = join(dir, "nats.conf");
    const allow = (key: string) =>
      writeFileSync(config, `authorization { users = [ { nkey: "${key}" } ] }\n`);
    allow(user.getPublicKey());
    const server = await startNatsServer(["-c", config]);
    const file = join(dir, "rotated.nk");
    writeFileSync(file, decorated);
    const nc = await connectNats(
      { servers: [server.url], auth: { kind: "nkey", file } },
      { name: "rotate-test", waitOnFirstConnect: false },
    );
    try {
      const reconnected = (async () => {
        for await (const status of nc.status()) if (status.type === "reconnect") return true;
        return false;
      })();
      const next = nkeys.createUser();
      await server.stop();
      allow(next.getPublicKey());
      writeFileSync(file, text(next.getSeed()));
      await server.start();
      const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, 15_000, false));
      expect(await Promise.race([reconnected, timeout])).toBe(true);
    } finally {
      await nc.close();
      await server.dispose();
    }
  }, 30_000);
});
