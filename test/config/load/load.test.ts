import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  applyCrossFileRules,
  isFileValid,
  loadFile,
  loadIntegrations,
  sortProblems,
} from "../../../src/config/load/load.js";
import { nextGeneration } from "../../../src/config/watch/generation.js";
import { countProblems, MAX_LISTED_PER_FILE } from "../../../src/config/load/load-file.js";
import { MAX_DOCUMENTS } from "../../../src/config/parse/parse-with-positions.js";
import { SECRET_MARK } from "../../../src/config/references.js";
import type { Integration } from "../../../src/config/types.js";
import { renderRequest } from "../../../src/delivery/render.js";
import { makeEvent, requestOf } from "../../support/integration.js";
import { integrationYaml } from "../../commands/validate-cases.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hookswitch-load-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fileWith(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

const keep = { secrets: "keep" } as const;

describe("loadFile on hostile input", () => {
  const aliasBomb = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    .concat(
      "bcdefghi"
        .split("")
        .map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(", ")}]`),
    )
    .join("\n");

  it.each([
    ["a 10 MB file", "huge.yaml", Buffer.alloc(10 * 1024 * 1024, "a"), /larger than 1 MiB/],
    ["an alias bomb", "bomb.yaml", aliasBomb, /too many YAML alias references/],
    [
      "deeply nested YAML",
      "deep.yaml",
      "[".repeat(200_000),
      /^YAML is nested more than 64 levels deep/,
    ],
    [
      "binary garbage",
      "garbage.yaml",
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 0xff]),
      /not a text file/,
    ],
    [
      "invalid UTF-8",
      "latin1.yaml",
      Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0xe9]),
      /not valid UTF-8/,
    ],
  ])("reports %s as one clear problem, quickly", async (_, name, content, message) => {
    const file = await fileWith(name, content);
    const started = Date.now();
    const result = await loadFile(file, keep);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.integrations).toEqual([]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.message).toMatch(message);
    expect(isFileValid(result)).toBe(false);
  });

  it.each([
    ["empty", "empty.yaml", ""],
    ["blank", "blank.yaml", "\n  \n"],
    ["comments only", "modeline.yaml", "# yaml-language-server: $schema=../schemas/x.json\n"],
    ["separators only", "separators.yaml", "---\n---\n"],
  ])("calls a file that is %s invalid, as it holds no integration", async (_, name, content) => {
    const result = await loadFile(await fileWith(name, content), keep);
    expect(result.problems).toEqual([
      {
        file: result.file,
        line: 1,
        column: 1,
        message: "the file holds no integration: write one in it, or delete the file",
      },
    ]);
    expect(isFileValid(result)).toBe(false);
  });

  it.each([
    ["an alias with no anchor", "unknown-alias.yaml", "name: a\nscope: *nope\n", [2, 8], "nope"],
    [
      "an alias with no anchor after one that has its anchor",
      "second-alias.yaml",
      "name: &n a\ndescription: *n\nscope: *nope\n",
      [3, 8],
      "nope",
    ],
    [
      "an anchor of the document before",
      "carried.yaml",
      "name: &x a\n---\nname: *x\n",
      [3, 7],
      "x",
    ],
  ])("reports %s as an unknown alias, where it is written", async (_, name, content, at, alias) => {
    const result = await loadFile(await fileWith(name, content), keep);
    const problem = result.problems.find((p) => /alias/.test(p.message));
    expect(problem?.message).toBe(
      "unknown alias: a value that starts with * repeats the anchor (&name) of its name, and " +
        "none is defined before this point: define the anchor first (anchors do not carry over " +
        "from one --- document to the next), or put the value in quotes if the * belongs to it",
    );
    expect(problem?.message).not.toContain(`*${alias}`);
    expect([problem?.line, problem?.column]).toEqual(at);
  });

  it.each([
    [MAX_DOCUMENTS, "holds no integration"],
    [MAX_DOCUMENTS + 1, "more than 10,000 YAML documents in one file"],
    [262_000, "more than 10,000 YAML documents in one file"],
  ])("refuses a file of %i --- documents only past the limit", async (count, message) => {
    const result = await loadFile(
      await fileWith(`docs-${count}.yaml`, "---\n".repeat(count)),
      keep,
    );
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.message).toContain(message);
    if (count > MAX_DOCUMENTS) expect(result.problems[0]?.line).toBe(MAX_DOCUMENTS + 1);
  });

  it("lists a file's first problems and counts the rest in one line, where they start", async () => {
    // Each empty mapping misses the five required keys: 1,500 problems, 300 documents.
    const result = await loadFile(await fileWith("templated.yaml", "--- {}\n".repeat(300)), keep);
    expect(result.problems).toHaveLength(MAX_LISTED_PER_FILE + 1);
    expect(countProblems(result.problems)).toBe(1_500);
    expect(result.problems.at(-2)?.line).toBe(20);
    expect(result.problems.at(-1)).toEqual({
      file: result.file,
      line: 21,
      column: 5,
      message: "1,400 more problems from here on are not listed; mend the ones above first",
      unlisted: 1_400,
    });
  });

  it.each([
    { problems: MAX_LISTED_PER_FILE, listed: MAX_LISTED_PER_FILE, last: "missing" },
    { problems: MAX_LISTED_PER_FILE + 1, listed: MAX_LISTED_PER_FILE + 1, last: "1 more" },
  ])(
    "of $problems problems in a file, lists $listed lines, the last one saying: $last",
    async ({ problems, listed, last }) => {
      // A name used twice is one problem; each empty mapping misses five required keys.
      const twice = `${integrationYaml("x")}---\n${integrationYaml("x")}`;
      const empties = "--- {}\n".repeat(Math.floor(problems / 5));
      const content = problems % 5 === 1 ? `${twice}${empties}` : empties;
      const result = await loadFile(await fileWith(`limit-${problems}.yaml`, content), keep);
      expect(countProblems(result.problems)).toBe(problems);
      expect(result.problems).toHaveLength(listed);
      expect(result.problems.at(-1)?.message).toContain(last);
    },
  );

  it("gives a file too large to read a new hash when it is rewritten at the same size", async () => {
    const size = 1024 * 1024 + 1;
    const file = await fileWith("too-large.yaml", Buffer.alloc(size, "a"));
    await utimes(file, 1_000, 1_000);
    const before = await loadFile(file, keep);
    await writeFile(file, Buffer.alloc(size, "b"));
    await utimes(file, 2_000, 2_000);
    const after = await loadFile(file, keep);
    expect(after.problems).toEqual(before.problems);
    expect(after.hash).not.toBe(before.hash);
  });

  it("lists a file's first warnings the same way", async () => {
    const docs = Array.from({ length: 150 }, (_, i) =>
      integrationYaml(`n${i}`, {}, ["  auth: { type: token, token: in-clear }"]),
    );
    const result = await loadFile(await fileWith("clear.yaml", docs.join("---\n")), keep);
    expect(result.problems).toEqual([]);
    expect(result.integrations).toHaveLength(150);
    expect(result.warnings).toHaveLength(MAX_LISTED_PER_FILE + 1);
    expect(result.warnings?.at(-1)?.message).toBe(
      "50 more warnings from here on are not listed; mend the ones above first",
    );
  });

  it("reports the rules' problems beside the schema's, so that one round of fixes sees all", async () => {
    const content = [
      "apiVersion: hookswitch/v1",
      "name: all-at-once",
      "scope: {account: acme}",
      "webhook:",
      "  url: https://crm.example.com:99999/hook",
      "  metod: POST",
      "  headers: {X-A: a, x-a: b}",
      "  retry: {initialDelay: 1h, maxDelay: 1s}",
    ].join("\n");
    const result = await loadFile(await fileWith("all-at-once.yaml", content), keep);
    expect(result.problems.map((p) => [p.line, p.column, p.message])).toEqual([
      [1, 1, 'missing required key "trigger"'],
      [5, 8, "webhook.url is not a valid absolute URL"],
      [6, 3, 'unknown key "metod" in webhook (did you mean "method"?)'],
      [7, 21, "header x-a is already set as X-A (header names ignore case)"],
      [
        8,
        25,
        "webhook.retry.initialDelay (1h) must not be longer than webhook.retry.maxDelay (1s)",
      ],
    ]);
  });

  it("takes a URL whose scheme is written in capitals, as URLs allow (RFC 3986)", async () => {
    const content = integrationYaml("capitals", { 9: "  url: HTTPS://crm.example.com/hook" });
    const result = await loadFile(await fileWith("capitals.yaml", content), keep);
    expect(result.problems).toEqual([]);
    expect(result.integrations.map((i) => i.webhook.url)).toEqual(["HTTPS://crm.example.com/hook"]);
  });

  it("says that merge keys are not read, where one is written, rather than call it unknown", async () => {
    const content = [
      "x-common: &common {serviceType: mycloudpbx, events: [user.created]}",
      "apiVersion: hookswitch/v1",
      "name: merged",
      "scope: {account: acme}",
      "trigger:",
      "  <<: *common",
      "webhook: {url: https://crm.example.com/hook}",
    ].join("\n");
    const result = await loadFile(await fileWith("merged.yaml", content), keep);
    expect(result.problems.map((p) => [p.line, p.column, p.message])).toContainEqual([
      6,
      3,
      'merge key "<<" in trigger: files are YAML 1.2, which has no merge keys; write the keys out (anchors and aliases of whole values do work)',
    ]);
  });

  it("keeps no rule's judgement of a value the schema found of the wrong shape", async () => {
    const content = [
      "apiVersion: hookswitch/v1",
      "name: wrong-shapes",
      "scope: {account: acme}",
      "trigger: {serviceType: mycloudpbx, events: [user.created]}",
      "webhook:",
      "  url: 42",
      "  headers: [Host, X-A]",
      "  retry: {initialDelay: 2h, maxDelay: soon}",
    ].join("\n");
    const result = await loadFile(await fileWith("wrong-shapes.yaml", content), keep);
    expect(result.problems.map((p) => [p.line, p.message.split(" ")[0]])).toEqual([
      [6, "webhook.url"],
      [7, "webhook.headers"],
      [8, "webhook.retry.maxDelay"],
    ]);
  });

  it.each([
    ["a FIFO, which no one writes to", "fifo", "not a regular file"],
    ["a device that never ends", "/dev/zero", "not a regular file"],
    ["a file larger than 1 MiB", "big-secret", "larger than 1 MiB"],
  ])(
    "refuses %s as a ${file:} secret or a CA at once, reading no more than 1 MiB",
    async (_, target, reason) => {
      const fifo = join(dir, "fifo");
      if (!existsSync(fifo)) execFileSync("mkfifo", [fifo]);
      await writeFile(join(dir, "big-secret"), Buffer.alloc(2 * 1024 * 1024, "s"));
      const lines = [
        `  auth: {type: token, token: "\${file:${target}}"}`,
        `  tls: {ca: "${target}"}`,
      ];
      const file = await fileWith(
        `hostile-${basename(target)}.yaml`,
        integrationYaml("h", {}, lines),
      );
      const started = Date.now();
      const result = await loadFile(file, { secrets: "resolve" });
      expect(Date.now() - started).toBeLessThan(10_000);
      // A relative path is named as written and as the file looked for, beside this one.
      const shown = target.startsWith("/") ? target : `${target} (${join(dir, target)})`;
      expect(result.problems.map((p) => p.message)).toEqual([
        `webhook.auth.token: secret file ${shown} cannot be read (${reason})`,
        `webhook.tls.ca: ${target} cannot be read (${reason})`,
      ]);
    },
  );

  it("drops the byte-order mark Windows Notepad starts a secret file with", async () => {
    await writeFile(join(dir, "notepad-token"), "\ufefftok\r\n");
    await writeFile(join(dir, "notepad-signing"), "\ufeffwhsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
    const lines = [
      '  auth: {type: token, token: "${file:notepad-token}"}',
      '  signing: {secret: "${file:./notepad-signing}"}',
    ];
    const file = await fileWith("notepad.yaml", integrationYaml("notepad", {}, lines));
    const result = await loadFile(file, { secrets: "resolve" });
    expect(result.problems).toEqual([]);
    const [integration] = result.integrations;
    expect(integration?.webhook.auth).toMatchObject({ token: "tok" });
    expect(integration?.webhook.signingSecrets).toEqual(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]);
  });

  it("names where a relative secret file was looked for: beside the integration file", async () => {
    const lines = ['  auth: {type: token, token: "${file:../secrets/crm-token}"}'];
    const file = await fileWith("relative.yaml", integrationYaml("relative", {}, lines));
    const result = await loadFile(file, { secrets: "resolve" });
    const tried = join(dir, "..", "secrets", "crm-token");
    expect(result.problems.map((p) => p.message)).toEqual([
      `webhook.auth.token: secret file ../secrets/crm-token (${tried}) cannot be read (ENOENT: no such file)`,
    ]);
  });

  it("names the reference, not its value, when a resolved URL or CA path is wrong", async () => {
    const lines = ['  url: "${env:U}"', '  tls: {ca: "${env:CA}"}'];
    const file = await fileWith(
      "hidden.yaml",
      integrationYaml("hidden", { 9: lines[0]! }, [lines[1]!]),
    );
    const env = { U: "mysekretproto:abc@def", CA: "/no/such/sekret-path.pem" };
    const result = await loadFile(file, { secrets: "resolve", env });
    expect(result.problems.map((p) => p.message)).toEqual([
      "webhook.url must use http or https once its ${…} references are resolved",
      "webhook.tls.ca: ${env:CA} cannot be read (ENOENT: no such file)",
    ]);
    expect(JSON.stringify(result.problems)).not.toMatch(/sekret/);
  });

  it("refuses a CA file whose certificate block is not a certificate, which TLS would ignore", async () => {
    const fake =
      "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    await writeFile(join(dir, "fake-ca.pem"), fake);
    const file = await fileWith(
      "fake-ca.yaml",
      integrationYaml("f", {}, ["  tls: {ca: fake-ca.pem}"]),
    );
    const result = await loadFile(file, { secrets: "resolve" });
    expect(result.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^webhook\.tls\.ca: fake-ca\.pem its certificate cannot be read \(/),
    ]);
  });

  it("gives two files that cannot be read different hashes, so neither passes for the other", async () => {
    for (const name of ["fifo-a.yaml", "fifo-b.yaml"]) {
      if (!existsSync(join(dir, name))) execFileSync("mkfifo", [join(dir, name)]);
    }
    const [a, b] = await Promise.all(
      ["fifo-a.yaml", "fifo-b.yaml"].map((name) => loadFile(join(dir, name), keep)),
    );
    expect(a?.problems[0]?.message).toMatch(/not a regular file/);
    expect(a?.hash).not.toBe(b?.hash);
    expect((await loadFile(join(dir, "fifo-a.yaml"), keep)).hash).toBe(a?.hash);
  });

  it("reads a secret through links inside --secrets-dir, not through one leading out", async () => {
    const secrets = join(dir, "secrets");
    await mkdir(join(secrets, "..2026_11_29"), { recursive: true });
    await writeFile(join(secrets, "..2026_11_29", "token"), "t0ken\n");
    await symlink("..2026_11_29", join(secrets, "..data"));
    await symlink(join("..data", "token"), join(secrets, "token"));
    await writeFile(join(dir, "host-file"), "not for receivers");
    await symlink(join(dir, "host-file"), join(secrets, "escape"));
    const token = (path: string) => [`  auth: {type: token, token: "\${file:${path}}"}`];
    const secretPolicy = { dirs: [secrets], envPrefix: undefined };
    const load = (name: string, path: string) =>
      fileWith(name, integrationYaml(name.replace(".yaml", ""), {}, token(path))).then((f) =>
        loadFile(f, { secrets: "resolve", secretPolicy }),
      );
    const inside = await load("inside.yaml", join(secrets, "token"));
    expect(inside.problems).toEqual([]);
    expect(inside.integrations[0]?.webhook.auth).toEqual({ type: "token", token: "t0ken" });
    const out = await load("escape.yaml", join(secrets, "escape"));
    expect(out.problems.map((p) => p.message)).toEqual([
      `webhook.auth.token: secret file ${join(secrets, "escape")} cannot be read (a link leads outside --secrets-dir)`,
    ]);
    // `link/../x` is x beside the link's target for the kernel, whatever the text says.
    await mkdir(join(dir, "outside", "sub"), { recursive: true });
    await writeFile(join(dir, "outside", "token"), "not for receivers either");
    await writeFile(join(secrets, "decoy-token"), "decoy");
    await symlink(join(dir, "outside", "sub"), join(secrets, "away"));
    const dotted = `${secrets}/away/../token`;
    const around = await load("around.yaml", dotted);
    expect(around.problems.map((p) => p.message)).toEqual([
      `webhook.auth.token: secret file ${dotted} cannot be read (a link leads outside --secrets-dir)`,
    ]);
  });

  it("refuses an environment variable outside --secret-env-prefix when no --secrets-dir is set", async () => {
    const lines = ['  auth: {type: token, token: "${env:NATS_PASSWORD}"}'];
    const file = await fileWith("env-prefix.yaml", integrationYaml("env-prefix", {}, lines));
    const secretPolicy = { dirs: [], envPrefix: "CRM_" };
    const env = { NATS_PASSWORD: "nats-secret", CRM_TOKEN: "t0ken" };
    const result = await loadFile(file, { secrets: "resolve", secretPolicy, env });
    expect(result.problems.map((p) => p.message)).toEqual([
      "webhook.auth.token: environment variable NATS_PASSWORD is not one integration files may read: its name must start with CRM_ (--secret-env-prefix)",
    ]);
  });

  it("reads a /proc file, which claims no size, only up to its real end", async () => {
    const lines = ['  auth: {type: token, token: "${file:/proc/self/stat}"}'];
    const file = await fileWith("proc.yaml", integrationYaml("proc", {}, lines));
    const result = await loadFile(file, { secrets: "resolve" });
    expect(result.problems).toEqual([]);
    const auth = result.integrations[0]?.webhook.auth;
    expect(auth?.type === "token" && auth.token.startsWith(`${process.pid} (`)).toBe(true);
  });

  it("points at the first byte that is not UTF-8", async () => {
    const bytes = Buffer.concat([
      Buffer.from("name: zoë\ndescription: caf"),
      Buffer.from([0xe9]), // Latin-1 é
      Buffer.from(" crème\n"),
    ]);
    const result = await loadFile(await fileWith("latin1-line2.yaml", bytes), keep);
    expect(result.problems).toMatchObject([
      { line: 2, column: 17, message: "not valid UTF-8 text; integration files are UTF-8 YAML" },
    ]);
  });

  it("reports an unreadable file (skipped when running as root, who can read it)", async () => {
    const file = await fileWith("locked.yaml", integrationYaml("locked"));
    await chmod(file, 0o000);
    const result = await loadFile(file, keep);
    if (process.getuid?.() === 0) return expect(result.problems).toEqual([]);
    expect(result.problems[0]?.message).toMatch(/cannot be read \(EACCES\)/);
  });
});

describe("loadFile building integrations", () => {
  it("fills in every default", async () => {
    const file = await fileWith("defaults.yaml", integrationYaml("defaults"));
    const [integration] = (await loadFile(file, keep)).integrations;
    expect(integration).toMatchObject({
      name: "defaults",
      enabled: true,
      type: "webhook",
      scope: { account: "acme" },
      source: { file, line: 2, column: 7 }, // its name's value
      webhook: {
        method: "POST",
        format: "json",
        pathArguments: [],
        auth: { type: "none" },
        headers: {},
        fields: undefined,
        signingSecrets: [],
        timeoutMs: 10_000,
        retry: { maxAttempts: 12, initialDelayMs: 1_000, maxDelayMs: 3_600_000 },
        maxInFlight: 64,
        tlsCa: undefined,
      },
    });
  });

  it("keeps a description and scope fed by references as written, for output", async () => {
    const file = await fileWith(
      "shown.yaml",
      integrationYaml("shown", {
        2: 'name: shown\ndescription: "CRM of ${env:ACCOUNT}"',
        4: '  account: "${env:ACCOUNT}"',
      }),
    );
    const result = await loadFile(file, { secrets: "resolve", env: { ACCOUNT: "acme" } });
    expect(result.problems).toEqual([]);
    const integration = result.integrations[0];
    expect(integration).toMatchObject({ scope: { account: "acme" }, description: "CRM of acme" });
    expect(integration?.shown).toMatchObject({
      scope: { account: "${env:ACCOUNT}" },
      description: "CRM of ${env:ACCOUNT}",
      secretHost: false,
    });
    expect(integration?.shown?.webhook).toBe(integration?.webhook);
  });

  it("keeps a description fed by a reference as written when no other text is", async () => {
    const file = await fileWith(
      "shown-description.yaml",
      integrationYaml("shown-description", {
        2: 'name: shown-description\ndescription: "${env:NOTE}"',
      }),
    );
    const result = await loadFile(file, { secrets: "resolve", env: { NOTE: "for acme" } });
    expect(result.problems).toEqual([]);
    expect(result.integrations[0]).toMatchObject({
      description: "for acme",
      shown: { description: "${env:NOTE}" },
    });
  });

  it("defaults GET to query", async () => {
    const file = await fileWith("get.yaml", integrationYaml("get", {}, ["  method: GET"]));
    expect((await loadFile(file, keep)).integrations[0]?.webhook.format).toBe("query");
  });

  it("resolves secrets, marks where they went, and trims a secret file's newline", async () => {
    await fileWith("signing-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
    const file = await fileWith(
      "secrets.yaml",
      integrationYaml("secrets", { 9: "  url: http://127.0.0.1:8787/${env:PATH_PART}?k=$${x}" }, [
        '  auth: { type: token, token: "${env:TOKEN}" }',
        '  signing: { secret: "${file:signing-secret}" }',
      ]),
    );
    const env = { TOKEN: "s3cret", PATH_PART: "p" };
    const result = await loadFile(file, { secrets: "resolve", env });
    expect(result.problems).toEqual([]);
    const webhook = result.integrations[0]?.webhook;
    expect(webhook?.url).toBe("http://127.0.0.1:8787/p?k=${x}");
    expect(webhook?.auth).toEqual({ type: "token", token: "s3cret" });
    expect(webhook?.signingSecrets).toEqual([`whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`]);
    // Output renders the twin: the mark where the reference was, the escape still undone.
    expect(result.integrations[0]?.shown?.webhook.url).toBe(
      `http://127.0.0.1:8787/${SECRET_MARK}?k=\${x}`,
    );
    const kept = await loadFile(file, keep);
    expect(kept.integrations[0]?.webhook.auth).toEqual({ type: "token", token: "${env:TOKEN}" });
  });

  it("sends a secret's text and an escaped ${ as they are, never as {field} placeholders", async () => {
    const file = await fileWith(
      "literal-braces.yaml",
      integrationYaml("braces", {}, [
        '  pathArguments: ["${env:SEGMENT}", "$${name}", "{extensionNumber}"]',
        '  headers: { X-Key: "k-${env:KEY}", X-Escaped: "$${name} {name}" }',
        "  fields:",
        '    t: { template: "{name}:${env:KEY}:$${eventId}" }',
      ]),
    );
    const env = { SEGMENT: "{eventId}", KEY: "s3cr{name}t" };
    const result = await loadFile(file, { secrets: "resolve", env });
    expect(result.problems).toEqual([]);
    const integration = result.integrations[0] as Integration;
    const request = requestOf(renderRequest(integration, makeEvent(), new Date(0)));
    expect(request.url).toBe(
      `http://127.0.0.1:8787/x/${encodeURIComponent("{eventId}")}/${encodeURIComponent("${name}")}/201`,
    );
    expect(request.headers["X-Key"]).toBe("k-s3cr{name}t");
    expect(request.headers["X-Escaped"]).toBe("${name} Alice Example");
    expect(JSON.parse(request.body ?? "")).toEqual({ t: "Alice Example:s3cr{name}t:${eventId}" });
    // A masked render reads the escapes the same way (the secrets are marks there).
    const shown = requestOf(
      renderRequest(
        { ...integration, webhook: integration.shown!.webhook },
        makeEvent(),
        new Date(0),
      ),
    );
    expect(shown.headers["X-Escaped"]).toBe("${name} Alice Example");
    expect(JSON.parse(shown.body ?? "")).toEqual({ t: `Alice Example:${SECRET_MARK}:\${eventId}` });
  });

  it("refuses a URL whose host is an empty secret, naming the reference, not a value", async () => {
    const file = await fileWith(
      "empty-host.yaml",
      integrationYaml("empty-host", { 9: '  url: "https://${env:HOST}/api/callbacks"' }),
    );
    const result = await loadFile(file, { secrets: "resolve", env: { HOST: "" } });
    expect(result.problems.map((p) => p.message)).toEqual([
      "webhook.url has no host once its ${…} references are resolved: write it as http(s)://host/path",
    ]);
  });

  it("refuses a token, account or path argument that an empty secret leaves empty", async () => {
    const file = await fileWith(
      "empty-secrets.yaml",
      integrationYaml("empty-secrets", { 4: '  account: "${env:ACCOUNT}"' }, [
        '  auth: { type: token, token: "${env:TOKEN}" }',
        '  pathArguments: ["${file:empty-secret}", "ok"]',
      ]),
    );
    await fileWith("empty-secret", "\n");
    const result = await loadFile(file, { secrets: "resolve", env: { ACCOUNT: "", TOKEN: "" } });
    expect(result.problems.map((p) => [p.line, p.message])).toEqual([
      [4, "scope.account is empty once its ${…} references are resolved: check that secret"],
      [10, "webhook.auth.token is empty once its ${…} references are resolved: check that secret"],
      [
        11,
        "webhook.pathArguments[0] is empty once its ${…} references are resolved: check that secret",
      ],
    ]);
  });

  it("judges the secrets that resolve while another is not set, so one round of fixes sees every problem", async () => {
    const file = await fileWith(
      "one-round.yaml",
      integrationYaml("one-round", {}, [
        '  auth: { type: token, token: "${env:TOKEN}" }',
        '  headers: { X-Key: "${env:KEY}", X-Url: "${env:NOT_SET}" }',
        '  signing: { secret: "${file:no-such-file}" }',
      ]),
    );
    const result = await loadFile(file, { secrets: "resolve", env: { TOKEN: "", KEY: "a\nb" } });
    const messages = result.problems.map((p) => p.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^webhook\.headers\.X-Url: .*NOT_SET/),
        expect.stringMatching(/^webhook\.signing\.secret: .*no-such-file/),
        "webhook.auth.token is empty once its ${…} references are resolved: check that secret",
        "header X-Key: its value contains a line break (CR or LF) once secrets are resolved: check that secret",
      ]),
    );
    expect(messages).toHaveLength(4);
  });

  it("says a duplicate key and the file's other problems in the same round", async () => {
    const file = await fileWith(
      "duplicate-and-more.yaml",
      integrationYaml("duplicate-and-more", { 7: "  events: [user.renamed]" }, [
        "  method: POST",
        "  method: FETCH",
        "  timeout: 10",
      ]),
    );
    const result = await loadFile(file, keep);
    expect(result.integrations).toEqual([]);
    // The later value is the one judged, and pointed at.
    expect(result.problems.map((p) => `${p.line}:${p.column}: ${p.message}`)).toEqual([
      expect.stringMatching(/^7:12: trigger\.events\[0\] must be user\.created, /),
      '11:3: duplicate key "method": each key may appear only once in a mapping',
      expect.stringMatching(/^11:11: webhook\.method must be POST or GET \(got "FETCH"\)/),
      expect.stringMatching(/^12:12: webhook\.timeout must be a duration like /),
    ]);
  });

  it("refuses a Basic user name that a secret gives a colon, naming the reference", async () => {
    const file = await fileWith(
      "colon-user.yaml",
      integrationYaml("colon-user", {}, [
        '  auth: { type: basic, username: "${env:USER}", password: pw }',
      ]),
    );
    const valid = await loadFile(file, { secrets: "resolve", env: { USER: "svc-eu" } });
    expect(valid.problems).toEqual([]);
    const result = await loadFile(file, { secrets: "resolve", env: { USER: "svc:eu" } });
    expect(result.problems.map((p) => p.message)).toEqual([
      'webhook.auth.username must not contain ":" once its ${…} references are resolved: Basic authentication splits the user name from the password at the first ":"',
    ]);
    expect(JSON.stringify(result.problems)).not.toContain("svc:eu");
  });

  it("keeps the valid documents of a file with a bad one, but calls the file invalid", async () => {
    const file = await fileWith(
      "mixed.yaml",
      `${integrationYaml("good")}---\n${integrationYaml("bad", {}, ["  method: PUT"])}`,
    );
    const result = await loadFile(file, keep);
    expect(result.integrations.map((i) => i.name)).toEqual(["good"]);
    expect(result.problems).toMatchObject([{ line: 20, integration: "bad" }]);
    expect(isFileValid(result)).toBe(false);
    expect(applyCrossFileRules([result]).integrations).toEqual([]);
  });

  it("reports a name used twice in one file", async () => {
    const file = await fileWith(
      "twice.yaml",
      `${integrationYaml("x")}---\n${integrationYaml("x")}`,
    );
    const result = await loadFile(file, keep);
    expect(result.problems).toMatchObject([
      {
        line: 12,
        integration: "x",
        message: 'duplicate name "x": already defined at line 2 of this file',
      },
    ]);
  });

  it("loads the first of a name used twice in one file, not the second", async () => {
    const file = await fileWith(
      "twice-kept.yaml",
      `${integrationYaml("x")}---\n${integrationYaml("x")}`,
    );
    const result = await loadFile(file, keep);
    expect(result.integrations.map((i) => i.source.line)).toEqual([2]);
  });

  it("gives the same hash for the same content", async () => {
    const a = await fileWith("hash-a.yaml", integrationYaml("h"));
    const b = await fileWith("hash-b.yaml", integrationYaml("h"));
    expect((await loadFile(a, keep)).hash).toBe((await loadFile(b, keep)).hash);
    expect((await loadFile(a, keep)).hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("loadFile's result", () => {
  it("holds a valid file's integrations and nothing it has no use for", async () => {
    const file = await fileWith("plain.yaml", integrationYaml("plain"));
    const result = await loadFile(file, keep);
    expect(Object.keys(result).sort()).toEqual(["file", "hash", "integrations", "problems"]);
    expect(result.integrations.map((i) => i.name)).toEqual(["plain"]);
  });

  it.each([
    ["a ${file:} secret", ['  auth: {type: token, token: "${file:token.txt}"}'], true],
    ["a CA file", ["  tls:", "    ca: ca.pem"], true],
    ["neither", ['  auth: {type: token, token: "${env:CRM_TOKEN}"}'], false],
  ])("marks a file that names %s as one that reads other files: %s", async (_, lines, reads) => {
    const file = await fileWith("reads-files.yaml", integrationYaml("reads", {}, lines));
    expect((await loadFile(file, keep)).readsFiles).toBe(reads ? true : undefined);
  });

  it("says a file gone when it was read is gone, for the watcher to leave out", async () => {
    const file = join(dir, "gone.yaml");
    expect(await loadFile(file, keep)).toMatchObject({
      problems: [{ file, line: 1, column: 1, message: "file no longer exists" }],
      vanished: true,
    });
  });

  it("says why a file that is there cannot be read, and does not call it gone", async () => {
    const file = join(await fileWith("not-a-folder.yaml", "x"), "inside.yaml");
    const result = await loadFile(file, keep);
    expect(result.problems.map((p) => p.message)).toEqual(["file cannot be read (ENOTDIR)"]);
    expect(result.vanished).toBeUndefined();
  });

  it("places a UTF-16 file's problem at its first line", async () => {
    const file = await fileWith(
      "utf16.yaml",
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("name: x\n", "utf16le")]),
    );
    const { problems } = await loadFile(file, keep);
    expect(problems.map(({ line, column }) => ({ line, column }))).toEqual([
      { line: 1, column: 1 },
    ]);
  });

  it("checks the editor's schema comment only when asked (validate), not for run", async () => {
    const text = `# yaml-language-server: $schema=../nowhere/integration.json\n${integrationYaml("ed")}`;
    const file = await fileWith("editor.yaml", text);
    expect((await loadFile(file, keep)).warnings).toBeUndefined();
    const checked = await loadFile(file, { ...keep, checkEditorSchema: true });
    expect(checked.warnings?.map((w) => w.line)).toEqual([1]);
  });
});

describe("loadIntegrations", () => {
  it("lists discovery's problems and warnings among the files' own, in path order", async () => {
    const root = join(dir, "ordered");
    await mkdir(root);
    const clear = ["  auth: { type: token, token: in-clear }"];
    await writeFile(join(root, "a.yaml"), integrationYaml("Not A Label", {}, clear));
    await writeFile(join(root, "m.yaml"), integrationYaml("m", {}, clear));
    await writeFile(join(root, "y.YAML"), integrationYaml("y"));
    await symlink("missing.yaml", join(root, "z.yaml"));
    const result = await loadIntegrations([root], keep);
    const files = (list: { file: string }[]) => [...new Set(list.map((p) => basename(p.file)))];
    expect(files(result.problems)).toEqual(["a.yaml", "z.yaml"]);
    expect(files(result.warnings)).toEqual(["a.yaml", "m.yaml", "y.YAML"]);
  });

  it("survives a symbolic link loop and keeps the first of two equal names", async () => {
    const root = join(dir, "tree");
    await mkdir(join(root, "sub"), { recursive: true });
    await writeFile(join(root, "a.yaml"), integrationYaml("shared"));
    await writeFile(join(root, "sub", "b.yaml"), integrationYaml("shared"));
    await symlink("..", join(root, "sub", "loop"));
    await symlink("self.yaml", join(root, "self.yaml"));
    const result = await loadIntegrations([root], keep);
    expect(result.integrations.map((i) => i.source.file)).toEqual([join(root, "a.yaml")]);
    expect(result.problems.map((p) => p.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^duplicate name "shared": already defined in .*a\.yaml:2:7/),
        expect.stringMatching(/symbolic link loop/),
      ]),
    );
  });

  it("refuses a later file that reuses a name as a whole, as run does when it starts", async () => {
    const root = join(dir, "refused");
    await mkdir(root);
    await writeFile(join(root, "a.yaml"), integrationYaml("dup"));
    await writeFile(
      join(root, "b.yaml"),
      `${integrationYaml("dup")}---\n${integrationYaml("other")}`,
    );
    await writeFile(join(root, "c.yaml"), integrationYaml("other"));
    const result = await loadIntegrations([root], keep);
    const raw = await Promise.all(
      ["a", "b", "c"].map((f) => loadFile(join(root, `${f}.yaml`), keep)),
    );
    const daemon = nextGeneration(undefined, { files: raw, problems: [] }, new Date());
    const served = (list: Integration[]) => list.map((i) => `${i.name}@${i.source.file}`);
    expect(served(result.integrations)).toEqual([
      `dup@${join(root, "a.yaml")}`,
      `other@${join(root, "c.yaml")}`,
    ]);
    expect(served(daemon.state.integrations)).toEqual(served(result.integrations));
    const b = result.files[1];
    expect(b?.integrations.map((i) => i.name)).toEqual(["other"]);
    expect(b?.problems).toMatchObject([{ integration: "dup", line: 2, column: 7 }]);
    expect(result.problems).toEqual(b?.problems);
  });

  it("tells an invalid file of the names other files hold beside its other problems", async () => {
    const root = join(dir, "invalid-reuse");
    await mkdir(root);
    await writeFile(join(root, "a.yaml"), integrationYaml("dup"));
    const broken = integrationYaml("dup", {}, ["  method: PUT"]);
    await writeFile(join(root, "b.yaml"), `${integrationYaml("also")}---\n${broken}`);
    await writeFile(join(root, "c.yaml"), integrationYaml("also"));
    const result = await loadIntegrations([root], keep);
    const duplicate = (name: string, line: number, owner: string) =>
      `${line}:7 duplicate name "${name}": already defined in ${join(root, owner)}:2:7; ` +
      `names must be unique across ${join(root, "b.yaml")} and ${join(root, owner)}`;
    const b = result.files[1];
    // Its valid document as its invalid one: neither would be served once the file is mended.
    expect(b?.problems.map((p) => `${p.line}:${p.column} ${p.message}`)).toEqual([
      duplicate("also", 2, "c.yaml"),
      duplicate("dup", 12, "a.yaml"),
      '20:11 webhook.method must be POST or GET (got "PUT")',
    ]);
    expect(b?.integrations).toEqual([]);
    expect(result.integrations.map((i) => i.source.file)).toEqual(
      ["a.yaml", "c.yaml"].map((f) => join(root, f)),
    );
  });

  it("says nothing of a name an invalid file alone gives", async () => {
    const root = join(dir, "invalid-alone");
    await mkdir(root);
    await writeFile(join(root, "a.yaml"), integrationYaml("one"));
    await writeFile(join(root, "b.yaml"), integrationYaml("two", {}, ["  method: PUT"]));
    const result = await loadIntegrations([root], keep);
    expect(result.problems.map((p) => p.message)).toEqual([
      'webhook.method must be POST or GET (got "PUT")',
    ]);
  });
});

describe("sortProblems", () => {
  const p = (at: string) => {
    const [file = "", line = "0", column = "0", message = ""] = at.split(":");
    return { file, line: Number(line), column: Number(column), message };
  };
  it.each([
    ["by file first", ["b.yaml:1:1:a", "a.yaml:9:9:z"], ["a.yaml:9:9:z", "b.yaml:1:1:a"]],
    ["then by line", ["a.yaml:9:1:a", "a.yaml:2:9:z"], ["a.yaml:2:9:z", "a.yaml:9:1:a"]],
    ["then by column", ["a.yaml:3:9:a", "a.yaml:3:2:z"], ["a.yaml:3:2:z", "a.yaml:3:9:a"]],
    ["then by message", ["a.yaml:3:2:z", "a.yaml:3:2:a"], ["a.yaml:3:2:a", "a.yaml:3:2:z"]],
  ])("orders problems %s, as they are read in the file", (_, given, expected) => {
    const sorted = sortProblems(given.map(p));
    expect(sorted.map((q) => `${q.file}:${q.line}:${q.column}:${q.message}`)).toEqual(expected);
  });
});
