import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, REPO, runCli } from "../support/cli.js";
import { INVALID_CASES, integrationYaml } from "./validate-cases.js";

interface JsonReport {
  valid: boolean;
  files: Array<{ file: string; valid: boolean; integrations: string[] }>;
  integrations: Array<{ name: string; file: string }>;
  problems: Array<{ file: string; line: number; column: number; message: string }>;
}

/** Output without the summary's config digest: its own tests are at the end. */
const undigested = (text: string) => text.replace(/; config digest [0-9a-f]{12}$/gm, "");

let dir: string;
let invalidDir: string;
let validDir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hookswitch-validate-"));
  invalidDir = join(dir, "invalid");
  validDir = join(dir, "valid");
  await Promise.all([mkdirp(invalidDir), mkdirp(validDir)]);
  await Promise.all(
    INVALID_CASES.map((c) => writeFile(join(invalidDir, `${c.rule}.yaml`), c.yaml)),
  );
  await writeFile(join(invalidDir, "dup-a.yaml"), integrationYaml("same-name"));
  await writeFile(join(invalidDir, "dup-b.yaml"), integrationYaml("same-name"));
  await writeFile(join(invalidDir, "huge.yaml"), "#".repeat(1024 * 1024 + 1));
  await writeFile(join(validDir, "one.yaml"), integrationYaml("one"));
  await writeFile(
    join(validDir, "two.yml"),
    `${integrationYaml("two")}---\n${integrationYaml("three")}`,
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function mkdirp(path: string) {
  const { mkdir } = await import("node:fs/promises");
  await mkdir(path, { recursive: true });
}

describe("hookswitch validate on a folder with one mistake per file", () => {
  let stdout = "";
  let code: number | null = null;
  beforeAll(async () => {
    ({ stdout, code } = await runCli(["validate", invalidDir]));
  });

  it("exits 1", () => {
    expect(code).toBe(1);
  });

  it.each(INVALID_CASES.map((c) => [c.rule, c.expected] as const))(
    "reports %s at its line and column",
    (rule, expected) => {
      const lines = stdout
        .split("\n")
        .filter((l) => l.startsWith(`${join(invalidDir, rule)}.yaml:`))
        // A secret in clear is warned of beside the problem (its own test is below).
        .filter((l) => !l.includes(": warning: "));
      expect(lines).toHaveLength(1);
      const [, position, message] = /^.*?\.yaml:(\d+:\d+): (.*)$/.exec(lines[0] ?? "") ?? [];
      const text = `${position}: ${message}`;
      if (/^\d+:\d+: /.test(expected)) expect(text.startsWith(expected)).toBe(true);
      else expect(message?.startsWith(expected)).toBe(true);
    },
  );

  it("names both files of a duplicate name", () => {
    const b = join(invalidDir, "dup-b.yaml");
    const a = join(invalidDir, "dup-a.yaml");
    // At the name in each: what to change, and what it clashes with.
    expect(stdout).toContain(`${b}:2:7: duplicate name "same-name": already defined in ${a}:2:7`);
  });

  it("refuses a file over 1 MiB without parsing it", () => {
    expect(stdout).toContain(`${join(invalidDir, "huge.yaml")}:1:1: file is larger than 1 MiB`);
  });

  it("ends with a summary line", () => {
    const files = INVALID_CASES.length + 3;
    expect(undigested(stdout).trimEnd().split("\n").at(-1)).toBe(
      // The warnings: secrets written in clear in four of the files (a password, a rotation
      // list, two signing secrets), said beside their problems.
      `${files} files, 1 integration: ${files - 1} problems, 4 warnings`,
    );
  });
});

describe("hookswitch validate on a file of many problems", () => {
  it("lists the first 100, says how many more, and counts them all in the summary", async () => {
    const folder = join(dir, "templated");
    await mkdirp(folder);
    // Each empty mapping misses the five required keys: 1,500 problems in 300 documents.
    await writeFile(join(folder, "t.yaml"), "--- {}\n".repeat(300));
    const { stdout, code } = await runCli(["validate", folder]);
    expect(code).toBe(1);
    const lines = stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(102);
    expect(lines.at(-2)).toMatch(/t\.yaml:21:5: 1,400 more problems from here on are not listed/);
    expect(undigested(lines.at(-1)!)).toBe("1 file, 0 integrations: 1500 problems");
  });
});

describe("hookswitch validate output formats", () => {
  it("prints a parseable JSON report with --format json", async () => {
    const result = await runCli(["validate", "--format", "json", invalidDir]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.valid).toBe(false);
    expect(report.files).toHaveLength(INVALID_CASES.length + 3);
    expect(report.integrations.map((i) => i.name)).toEqual(["same-name"]);
    expect(report.problems.length).toBe(INVALID_CASES.length + 2);
  });

  it("reads --format in any letter case, and refuses a format it does not know", async () => {
    const upper = await runCli(["validate", "--format", "JSON", invalidDir]);
    expect(upper.code).toBe(1);
    expect((JSON.parse(upper.stdout) as JsonReport).valid).toBe(false);
    const unknown = await runCli(["validate", "--format", "yaml", invalidDir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--format must be text, json or github \(got "yaml"\)/);
  });

  it("shows a scope fed by a secret reference as written in its JSON report", async () => {
    const secretDir = join(dir, "secret-scope");
    await mkdirp(secretDir);
    await writeFile(
      join(secretDir, "s.yaml"),
      integrationYaml("s", { 4: '  account: "${env:ACCOUNT}"' }),
    );
    const result = await runCli(["validate", "--resolve-secrets", "--format", "json", secretDir], {
      env: { ACCOUNT: "topsecretacct" },
    });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).not.toContain("topsecretacct");
    const report = JSON.parse(result.stdout) as { integrations: { scope: unknown }[] };
    expect(report.integrations[0]?.scope).toEqual({ account: "${env:ACCOUNT}" });
  });

  it("prints GitHub annotations with --format github", async () => {
    const result = await runCli(["validate", "--format=github", invalidDir]);
    const annotations = result.stdout.split("\n").filter((l) => l.startsWith("::error "));
    expect(annotations).toHaveLength(INVALID_CASES.length + 2);
    for (const line of annotations) {
      expect(line).toMatch(/^::error file=[^,]+,line=\d+,col=\d+::\S/);
    }
  });

  it("warns that run would not load a file named other than *.yaml or *.yml, and checks it all the same", async () => {
    const file = join(dir, "crm.txt");
    await writeFile(file, "not: [an integration\n");
    const result = await runCli(["validate", file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(
        `^${file}:1:1: warning: run loads only names ending in .yaml or .yml: run would not load ` +
          "this file, validate checks it anyway; to have it loaded, rename it to end in .yaml\n" +
          `${file}:\\d+:\\d+: `,
      ),
    );
    expect(result.stdout).not.toMatch(/all valid/);
  });

  it("warns of an editor schema comment that points at no file, and passes the file", async () => {
    const folder = join(dir, "editor", "crm");
    await mkdirp(folder);
    const comment = "# yaml-language-server: $schema=../schemas/integration.schema.json\n";
    await writeFile(join(folder, "a.yaml"), comment + integrationYaml("editor-a"));
    const result = await runCli(["validate", folder]);
    expect(result.code).toBe(0);
    expect(undigested(result.stdout)).toBe(
      `${join(folder, "a.yaml")}:1:33: warning: the editor's schema comment points at ` +
        "../schemas/integration.schema.json, which does not exist from this file's folder: the " +
        "editor checks nothing; write one ../ per folder level up to schemas/\n" +
        "1 file, 1 integration: all valid, 1 warning\n",
    );
  });

  it("exits 0 and says all valid for valid files, .yml and multi-document included", async () => {
    const result = await runCli(["validate", validDir]);
    expect(result.code).toBe(0);
    expect(undigested(result.stdout)).toBe("2 files, 3 integrations: all valid\n");
  });
});

describe("hookswitch validate on a name used twice", () => {
  const json = async (args: string[]) => {
    const result = await runCli(["validate", "--format", "json", ...args]);
    expect(result.code).toBe(1);
    return JSON.parse(result.stdout) as JsonReport;
  };
  const at = (name: string) => join(dir, "twice", name);

  beforeAll(async () => {
    await mkdirp(at("folder"));
    await writeFile(at("a.yaml"), integrationYaml("dup"));
    await writeFile(at("b.yaml"), integrationYaml("dup"));
    await writeFile(at("in-one.yaml"), `${integrationYaml("x")}---\n${integrationYaml("x")}`);
    // As `run` starts: a.yaml keeps dup, b.yaml is refused whole, so c.yaml keeps other.
    await writeFile(at("folder/a.yaml"), integrationYaml("dup"));
    await writeFile(
      at("folder/b.yaml"),
      `${integrationYaml("dup")}---\n${integrationYaml("other")}`,
    );
    await writeFile(at("folder/c.yaml"), integrationYaml("other"));
  });

  it("calls the later of two files invalid in JSON and lists only the first's", async () => {
    const report = await json([at("a.yaml"), at("b.yaml")]);
    expect(report.files).toMatchObject([
      { file: at("a.yaml"), valid: true, integrations: ["dup"] },
      { file: at("b.yaml"), valid: false, integrations: [] },
    ]);
    expect(report.integrations).toMatchObject([{ name: "dup", file: at("a.yaml") }]);
    expect(report.problems).toMatchObject([{ file: at("b.yaml"), line: 2, column: 7 }]);
  });

  it("lists a name used twice in one file once, in JSON", async () => {
    const report = await json([at("in-one.yaml")]);
    expect(report.files).toMatchObject([{ valid: false, integrations: ["x"] }]);
  });

  it("serves what run serves: a file refused for one name serves none of its others", async () => {
    const report = await json([at("folder")]);
    expect(report.integrations.map((i) => `${i.name}@${i.file}`)).toEqual([
      `dup@${at("folder/a.yaml")}`,
      `other@${at("folder/c.yaml")}`,
    ]);
    expect(report.files.map((f) => f.valid)).toEqual([true, false, true]);
    const text = await runCli(["validate", at("folder")]);
    expect(undigested(text.stdout)).toBe(
      `${at("folder/b.yaml")}:2:7: duplicate name "dup": already defined in ${at("folder/a.yaml")}:2:7; ` +
        `names must be unique across ${at("folder/b.yaml")} and ${at("folder/a.yaml")}\n` +
        "3 files, 2 integrations: 1 problem\n",
    );
    const github = await runCli(["validate", "--format", "github", at("folder")]);
    expect(github.stdout.split("\n").filter((l) => l.startsWith("::error "))).toHaveLength(1);
  });
});

describe("hookswitch validate on a folder's files named one by one, editor backups among them", () => {
  const at = (name: string) => join(dir, "globbed", name);
  // What `validate integrations.d/*` passes: every name the shell's * matches.
  const names = [
    "#int-2.yaml#",
    "int-1.yaml",
    "int-1.yaml~",
    "int-2.yaml",
    "int-3.yaml",
    "int-3.yaml___jb_old___",
  ];

  beforeAll(async () => {
    await mkdirp(at(""));
    for (const n of [1, 2, 3]) {
      await writeFile(at(`int-${n}.yaml`), integrationYaml(`int-${n}`));
    }
    // Copies of the same integrations: loaded, they would claim its names first.
    await writeFile(at("#int-2.yaml#"), integrationYaml("int-2"));
    await writeFile(at("int-1.yaml~"), integrationYaml("int-1"));
    await writeFile(at("int-3.yaml___jb_old___"), integrationYaml("int-3"));
  });

  it("warns of each file run would pass over, and loads and checks only the others", async () => {
    const result = await runCli(["validate", ...names.map(at)]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines.map((l) => /^(.*?):1:1: warning: run (.*?) \(/.exec(l)?.slice(1, 3))).toEqual([
      [at("#int-2.yaml#"), "skips editor autosave files"],
      [at("int-1.yaml~"), "skips editor backup files"],
      [
        at("int-3.yaml___jb_old___"),
        "loads only names ending in .yaml or .yml, and this is an editor's temporary file",
      ],
      undefined,
    ]);
    expect(lines.at(-1)).toBe("3 files, 3 integrations: all valid, 3 warnings");
  });
});

describe("hookswitch validate on secrets written in clear", () => {
  const clear = () => join(dir, "clear");
  beforeAll(async () => {
    await mkdirp(clear());
    const lines = ["  auth: {type: token, token: abc123}", '  signing: {secret: "${env:S}"}'];
    await writeFile(join(clear(), "a.yaml"), integrationYaml("clear", {}, lines));
    // A file with a problem still gets its warnings, listed with the problems in file order.
    const broken = [...lines, "  retry: {initialDelay: 10m, maxDelay: 1m}"];
    await writeFile(join(clear(), "b.yaml"), integrationYaml("broken", {}, broken));
  });
  const warning = (file: string, column: number) =>
    `${join(clear(), file)}:10:${column}: warning: webhook.auth.token holds its secret in clear, ` +
    "and integration files are kept in git: reference it with ${env:NAME} or ${file:/path} instead";

  it("warns at the secret's line and column, never showing it, and still exits 0", async () => {
    const result = await runCli(["validate", join(clear(), "a.yaml")]);
    expect(result).toMatchObject({
      code: 0,
      stdout: `${warning("a.yaml", 30)}
1 file, 1 integration: all valid, 1 warning
`,
    });
    expect(result.stdout).not.toContain("abc123");
  });

  it("lists warnings among problems in file order, and fails only for the problems", async () => {
    const result = await runCli(["validate", clear()]);
    expect(result.code).toBe(1);
    expect(undigested(result.stdout).split("\n")).toEqual([
      warning("a.yaml", 30),
      warning("b.yaml", 30),
      `${join(clear(), "b.yaml")}:12:25: webhook.retry.initialDelay (10m) must not be longer than webhook.retry.maxDelay (1m)`,
      "2 files, 1 integration: 1 problem, 2 warnings",
      "",
    ]);
  });

  it("warns of a secret in clear in a file the schema refuses, beside its problem", async () => {
    const lines = ["  auth: {type: token, token: abc123}", "  colour: blue"];
    await writeFile(join(clear(), "c.yml.schema"), integrationYaml("schema-refused", {}, lines));
    const file = join(clear(), "c.yml.schema");
    const result = await runCli(["validate", file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `${file}:10:30: warning: webhook.auth.token holds its secret in clear`,
    );
    expect(result.stdout).toMatch(/colour/);
    expect(result.stdout).not.toContain("abc123");
  });

  it("gives warnings as GitHub warning annotations and as JSON warnings", async () => {
    const github = await runCli(["validate", "--format", "github", join(clear(), "a.yaml")]);
    expect(github.stdout).toMatch(
      /^::warning file=[^,]*a\.yaml,line=10,col=30::webhook\.auth\.token /,
    );
    const json = await runCli(["validate", "--format", "json", join(clear(), "a.yaml")]);
    const report = JSON.parse(json.stdout) as JsonReport & { warnings: JsonReport["problems"] };
    expect(report).toMatchObject({ valid: true, problems: [] });
    expect(report.warnings).toMatchObject([{ line: 10, column: 30, integration: "clear" }]);
  });
});

describe("hookswitch validate on a rotation list that holds one secret twice", () => {
  it("warns, once the references are resolved, without showing the secret", async () => {
    const file = join(dir, "rotation.yaml");
    const lines = ['  signing: {secret: ["${env:OLD_SECRET}", "${env:NEW_SECRET}"]}'];
    await writeFile(file, integrationYaml("rotation", {}, lines));
    const secret = `whsec_${Buffer.alloc(24, 9).toString("base64")}`;
    const env = { OLD_SECRET: secret, NEW_SECRET: secret };
    const written = await runCli(["validate", file], { env });
    expect(undigested(written.stdout)).toBe("1 file, 1 integration: all valid\n");
    const resolved = await runCli(["validate", "--resolve-secrets", file], { env });
    expect({ ...resolved, stdout: undigested(resolved.stdout) }).toMatchObject({
      code: 0,
      stdout:
        `${file}:10:43: warning: webhook.signing.secret[1] is the same secret as ` +
        "webhook.signing.secret[0]: while rotating, list the secret being retired and its " +
        "successor, one of each\n1 file, 1 integration: all valid, 1 warning\n",
    });
    expect(resolved.stdout).not.toContain(secret.slice(6, 16));
  });
});

describe("hookswitch validate on file names with control characters", () => {
  const at = () => join(dir, "names");
  const newline = () => join(at(), "a\nb.yaml");
  const escape = () => join(at(), "c\u001b[31md.yaml");
  beforeAll(async () => {
    await mkdirp(at());
    await writeFile(newline(), integrationYaml("dup"));
    await writeFile(escape(), integrationYaml("dup"));
  });
  const shown = (path: string) => path.replace("\n", "\ufffd").replace("\u001b", "\ufffd");

  it("prints one line per problem, the names printable", async () => {
    const { code, stdout } = await runCli(["validate", at()]);
    expect(code).toBe(1);
    expect(undigested(stdout)).toBe(
      `${shown(escape())}:2:7: duplicate name "dup": already defined in ${shown(newline())}:2:7; ` +
        `names must be unique across ${shown(escape())} and ${shown(newline())}\n` +
        "2 files, 1 integration: 1 problem\n",
    );
  });

  it("gives GitHub the name with its line break encoded, and no escape sequence", async () => {
    const { stdout } = await runCli(["validate", "--format", "github", at()]);
    const [annotation, ...rest] = stdout.split("\n");
    expect(rest.map(undigested)).toEqual(["2 files, 1 integration: 1 problem", ""]);
    expect(annotation).toMatch(/^::error file=[^,]*c\ufffd\[31md\.yaml,line=2,col=7::duplicate /);
    expect(annotation).toContain(`already defined in ${shown(newline()).replace(/\ufffd/, "%0A")}`);
    expect(stdout).not.toContain("\u001b");
  });

  it("keeps the exact names in JSON", async () => {
    const { stdout } = await runCli(["validate", "--format", "json", at()]);
    const report = JSON.parse(stdout) as JsonReport;
    expect(report.files.map((f) => f.file).sort()).toEqual([newline(), escape()].sort());
    expect(report.problems.map((p) => p.file)).toEqual([escape()]);
  });
});

describe("hookswitch validate on a file named by a path that is not UTF-8", () => {
  it("says the name cannot be opened because it is not UTF-8, and to rename it", async () => {
    const at = join(dir, "latin1");
    await mkdirp(at);
    // "café.yaml" in Latin-1: the é is one byte, 0xE9, which is not UTF-8.
    const name = Buffer.concat([
      Buffer.from(`${at}/caf`),
      Buffer.from([0xe9]),
      Buffer.from(".yaml"),
    ]);
    await writeFile(name, integrationYaml("cafe"));
    // Only a shell passes the byte as it is: Node.js encodes its arguments as UTF-8.
    const result = spawnSync(
      "sh",
      ["-c", `"$NODE" "$CLI" validate "$(printf '%s/caf\\351.yaml' "$AT")"`],
      {
        env: { ...process.env, NODE: process.execPath, CLI, AT: at },
        encoding: "utf8",
        timeout: 20_000,
      },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`no such file or folder: ${at}/caf\ufffd.yaml`);
    expect(result.stderr).toContain("not UTF-8 text");
    expect(result.stderr).toContain("rename it");
  });
});

describe("hookswitch validate on a path argument an event can leave empty", () => {
  it("warns at the argument, and the file stays valid", async () => {
    const file = join(dir, "empty-segment.yaml");
    const lines = ['  pathArguments: ["{serviceUuid}", "{outboundPhoneNumber}", "ext-{name}"]'];
    await writeFile(file, integrationYaml("by-number", {}, lines));
    const result = await runCli(["validate", file]);
    expect(result).toMatchObject({
      code: 0,
      stdout:
        `${file}:10:36: warning: webhook.pathArguments[1] is made only of fields an event may ` +
        "lack (outboundPhoneNumber, from data.user.outboundNumber): an event without " +
        "outboundPhoneNumber is not sent but dead-lettered as EMPTY_PATH_ARGUMENT (see " +
        "hookswitch dlq list), as its segment would be empty; if the receiver accepts a " +
        'segment with text of its own, such as "n-{outboundPhoneNumber}", that is never empty\n' +
        "1 file, 1 integration: all valid, 1 warning\n",
    });
  });
});

describe("hookswitch validate on files nested deeper than any integration", () => {
  it("says so of each file and exits 1", async () => {
    // Two of them: the second one read in the same process used to end it (exit 134).
    const deep = join(dir, "deep");
    await mkdirp(deep);
    await writeFile(join(deep, "a.yaml"), `${"- ".repeat(30_000)}x\n`);
    await writeFile(join(deep, "b.yaml"), `${"- ".repeat(30_001)}x\n`);
    const result = await runCli(["validate", deep]);
    const nested = "YAML is nested more than 64 levels deep; an integration needs far fewer";
    expect({ ...result, stdout: undigested(result.stdout) }).toMatchObject({
      code: 1,
      stdout:
        `${join(deep, "a.yaml")}:1:129: ${nested}\n` +
        `${join(deep, "b.yaml")}:1:129: ${nested}\n` +
        "2 files, 0 integrations: 2 problems\n",
    });
  });
});

describe("hookswitch validate with --secrets-dir and --secret-env-prefix", () => {
  const at = () => join(dir, "policy");
  beforeAll(async () => {
    await mkdirp(at());
    const lines = [
      '  auth: {type: token, token: "${env:NATS_PASSWORD}"}',
      '  headers: {X-Key: "${file:/proc/self/environ}", X-Ok: "${env:CRM_KEY}"}',
    ];
    await writeFile(join(at(), "a.yaml"), integrationYaml("policy", {}, lines));
  });
  const refusals = [
    "10:30: webhook.auth.token: environment variable NATS_PASSWORD is not one integration files may read: its name must start with CRM_ (--secret-env-prefix)",
    "11:20: webhook.headers.X-Key: secret file /proc/self/environ is outside /run/secrets (--secrets-dir)",
  ];

  it("refuses references outside them from the file alone, without --resolve-secrets", async () => {
    const result = await runCli([
      "validate",
      "--secrets-dir",
      "/run/secrets",
      "--secret-env-prefix",
      "CRM_",
      at(),
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout.split("\n").slice(0, 2)).toEqual(
      refusals.map((r) => `${join(at(), "a.yaml")}:${r}`),
    );
  });

  it("reads them from HOOKSWITCH_SECRETS_DIRS and HOOKSWITCH_SECRET_ENV_PREFIX too", async () => {
    const env = { HOOKSWITCH_SECRETS_DIRS: "/run/secrets", HOOKSWITCH_SECRET_ENV_PREFIX: "CRM_" };
    const result = await runCli(["validate", at()], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(refusals[1]);
  });

  it("allows any reference without them, as before", async () => {
    expect((await runCli(["validate", at()])).code).toBe(0);
    expect((await runCli(["validate", at()], { env: { HOOKSWITCH_SECRETS_DIRS: "" } })).code).toBe(
      0,
    );
  });

  it("calls a folder list that names no folder a usage error, not 'any file'", async () => {
    const result = await runCli(["validate", at()], { env: { HOOKSWITCH_SECRETS_DIRS: " , " } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--secrets-dir "," names no folder/);
  });
});

describe("hookswitch validate usage errors", () => {
  it.each([
    [["validate", "--no-such-flag"]],
    [["validate", "--format", "xml"]],
    [["validate", "/no/such/folder"]],
  ])("exits 2 for %j", async (args) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toBe("");
  });
});

describe("the example integrations", () => {
  const env = {
    CRM_TOKEN: "example-token",
    CRM_SIGNING_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    BILLING_PASSWORD: "example-password",
  };

  it("are valid as committed", async () => {
    const result = await runCli(["validate", "integrations.d"], { cwd: REPO });
    expect(result.code, result.stdout).toBe(0);
  });

  it("are valid with secrets resolved from the environment", async () => {
    const result = await runCli(["validate", "--resolve-secrets", "integrations.d"], {
      cwd: REPO,
      env,
    });
    expect(result.code, result.stdout).toBe(0);
  });

  it("name the missing variable, never a value, when secrets are not set", async () => {
    const result = await runCli(["validate", "--resolve-secrets", "integrations.d"], {
      cwd: REPO,
      env: { ...env, CRM_TOKEN: undefined },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("environment variable CRM_TOKEN is not set");
    expect(result.stdout).not.toContain(env.BILLING_PASSWORD);
  });
});

describe("hookswitch validate's config digest", () => {
  const digestOf = (stdout: string) => /; config digest ([0-9a-f]{12})\n$/.exec(stdout)?.[1];
  const json = async (args: string[]) =>
    JSON.parse((await runCli(["validate", "--format", "json", ...args])).stdout) as JsonReport & {
      configDigest: string | null;
    };
  const copy = async (name: string, files: Record<string, string>) => {
    const folder = join(dir, "digests", name);
    await mkdirp(join(folder, "team"));
    for (const [file, text] of Object.entries(files)) await writeFile(join(folder, file), text);
    return folder;
  };
  const FILES = { "one.yaml": integrationYaml("one"), "team/two.yaml": integrationYaml("two") };

  it("ends the summary of one folder, and is the JSON report's configDigest", async () => {
    const folder = await copy("first", FILES);
    const text = await runCli(["validate", folder]);
    expect(text.stdout).toMatch(
      /^2 files, 2 integrations: all valid; config digest [0-9a-f]{12}\n$/,
    );
    expect((await json([folder])).configDigest).toBe(digestOf(text.stdout));
  });

  it("is the same for the same files in another folder, and changes with a file's bytes", async () => {
    const [a, b, c] = await Promise.all([
      copy("same-a", FILES),
      copy("same-b", FILES),
      copy("edited", { ...FILES, "one.yaml": `# edited\n${FILES["one.yaml"]}` }),
    ]);
    const [da, db, dc] = await Promise.all(
      [a, b, c].map(async (f) => digestOf((await runCli(["validate", f])).stdout)),
    );
    expect(da).toBe(db);
    expect(dc).not.toBe(da);
  });

  it("leaves out a file with problems, as a replica started on the folder runs none of it", async () => {
    const valid = await copy("valid-only", FILES);
    const broken = await copy("with-broken", { ...FILES, "three.yaml": "name: [" });
    expect((await json([broken])).configDigest).toBe((await json([valid])).configDigest);
  });

  it("is not given for files named one by one or several folders: it is a folder's", async () => {
    const folder = await copy("named", FILES);
    const file = await runCli(["validate", join(folder, "one.yaml")]);
    expect(file.stdout).toBe("1 file, 1 integration: all valid\n");
    expect((await json([folder, validDir])).configDigest).toBeNull();
  });
});

describe("hookswitch validate given no path", () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = join(dir, "no-path");
    await mkdirp(join(cwd, "integrations.d"));
    await writeFile(join(cwd, "integrations.d", "on.yaml"), integrationYaml("on"));
    await writeFile(
      join(cwd, "integrations.d", "off.yaml"),
      integrationYaml("off", {}, ["enabled: false"]),
    );
  });

  it("checks ./integrations.d, and reports in JSON whether each integration is enabled", async () => {
    const result = await runCli(["validate", "--format", "json"], {
      cwd,
      env: { HOOKSWITCH_DIR: undefined },
    });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      integrations: Array<{ name: string; enabled: boolean }>;
    };
    expect(report.integrations.map(({ name, enabled }) => ({ name, enabled }))).toEqual([
      { name: "off", enabled: false },
      { name: "on", enabled: true },
    ]);
  });

  it("checks the folder HOOKSWITCH_DIR names, as run reads it", async () => {
    const named = await runCli(["validate"], { cwd, env: { HOOKSWITCH_DIR: validDir } });
    expect(named.code).toBe(0);
    expect(named.stdout).toBe((await runCli(["validate", validDir])).stdout);
    expect(undigested(named.stdout)).toBe("2 files, 3 integrations: all valid\n");
  });

  it("reads HOOKSWITCH_DIR without the spaces around it, and one of spaces only as unset", async () => {
    const spaced = await runCli(["validate"], { cwd, env: { HOOKSWITCH_DIR: ` ${validDir}\r\n` } });
    expect(spaced.code, spaced.stderr).toBe(0);
    expect(undigested(spaced.stdout)).toBe("2 files, 3 integrations: all valid\n");
    const blank = await runCli(["validate"], { cwd, env: { HOOKSWITCH_DIR: " \t " } });
    expect(blank.code, blank.stderr).toBe(0);
    expect(undigested(blank.stdout)).toBe("2 files, 2 integrations: all valid\n");
  });
});
