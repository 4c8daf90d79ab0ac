/**
 * `hookswitch render` beside problems: those of other integrations in the same file do
 * not block the one asked for; its own, and those of the file as a whole, do.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { integrationYaml } from "./validate-cases.js";

const EVENT_FILE = fileURLToPath(new URL("../fixtures/events/user-created.json", import.meta.url));
const UNSET = "RENDER_PROBLEMS_UNSET";
const env = { [UNSET]: undefined, HOOKSWITCH_DIR: undefined };

/** Lines 1-9 of `integrationYaml`, then a token from an unset variable at line 10. */
const needsSecret = (name: string) =>
  integrationYaml(name, {}, [`  auth: {type: token, token: "\${env:${UNSET}}"}`]);
const plain = (name: string) =>
  integrationYaml(name, { 9: `  url: http://127.0.0.1:8787/${name}` });
const together = (...documents: string[]) => documents.join("---\n");

let dir: string;
const folder = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hookswitch-render-problems-"));
  const files: Record<string, string> = {
    "mixed/c.yml": together(needsSecret("needs-secret"), plain("plain")),
    "both-broken/c.yml": together(needsSecret("first"), needsSecret("second")),
    "syntax/c.yml": together(plain("plain"), "name: [unclosed\n"),
    "single/one.yml": needsSecret("lonely"),
    "refused/a.yaml": plain("dup"),
    "refused/b.yaml": together(plain("dup"), plain("other")),
    "unreadable/a.yaml": plain("readable"),
    "unreadable/b.yaml": "apiVersion: hookswitch/v1\nname: hidden\n  webhook: [\n",
    "two-unreadable/b.yaml": together(plain("known"), "name: [unclosed\n"),
    "two-unreadable/a.yaml": "name: [unclosed\n",
    "only-unreadable/a.yaml": "name: [unclosed\n",
    "refused-twice/a.yaml": plain("dup"),
    "refused-twice/b.yaml": plain("dup"),
    "refused-twice/c.yaml": plain("dup"),
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), text);
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const render = (target: string, more: string[] = []) =>
  runCli(["render", target, "--event", EVENT_FILE, ...more], { cwd: dir, env });

describe("hookswitch render NAME beside problems of other integrations", () => {
  it("renders an integration whose file-mate has an unresolved secret, with a note", async () => {
    const { code, stdout, stderr } = await render("plain", ["--dir", folder("mixed")]);
    expect(code, stderr).toBe(0);
    expect(stdout.split("\n")[0]).toBe("POST http://127.0.0.1:8787/plain");
    expect(stderr).toBe(
      `hookswitch render: note: ${folder("mixed")}/c.yml has problems in other integrations ` +
        `(needs-secret); run leaves a file with any problem out as a whole ` +
        `(see hookswitch validate --resolve-secrets ${folder("mixed")}/c.yml)\n`,
    );
  });

  it("still refuses the integration whose own secret does not resolve", async () => {
    const { code, stdout, stderr } = await render("needs-secret", ["--dir", folder("mixed")]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `${folder("mixed")}/c.yml:10:30: webhook.auth.token: environment variable ${UNSET} is not set\n` +
        "hookswitch render: integration needs-secret cannot be loaded: fix the problems above\n",
    );
  });

  it("lists only the refused integration's own problems, not its file-mates'", async () => {
    const { code, stderr } = await render("second", ["--dir", folder("both-broken")]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `${folder("both-broken")}/c.yml:21:30: webhook.auth.token: environment variable ${UNSET} is not set\n` +
        "hookswitch render: integration second cannot be loaded: fix the problems above\n",
    );
  });

  it("is blocked by a YAML syntax error elsewhere in its file, which names no integration", async () => {
    const { code, stdout, stderr } = await render("plain", ["--dir", folder("syntax")]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^\S+\/c\.yml:11:7: YAML: the \[ that opens this list is never closed/);
    expect(stderr).toMatch(/integration plain cannot be loaded: fix the problems above\n$/);
  });

  it("notes that run leaves out a file refused for reusing another file's name", async () => {
    const { code, stderr } = await render("other", ["--dir", folder("refused")]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/note: \S+\/b\.yaml has problems in other integrations \(dup\)/);
    const kept = await render("dup", ["--dir", folder("refused")]);
    expect(kept.code).toBe(0);
    expect(kept.stdout.split("\n")[0]).toBe("POST http://127.0.0.1:8787/dup");
    // The name's other file, refused while this one holds it, is named.
    expect(kept.stderr).toBe(
      `hookswitch render: note: ${folder("refused")}/b.yaml defines dup too, which is refused ` +
        `while ${folder("refused")}/a.yaml holds the name; this is the request of ` +
        `${folder("refused")}/a.yaml (see hookswitch validate)\n`,
    );
  });
});

describe("hookswitch render NAME when no integration has the name", () => {
  it("names the files it cannot read, as the integration may be in one", async () => {
    const { code, stderr } = await render("hidden", ["--dir", folder("unreadable")]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `hookswitch render: no integration named hidden in ${folder("unreadable")} (and no ` +
        `such file); integrations there: readable; it may be in a file that cannot be read: ` +
        `${folder("unreadable")}/b.yaml (see hookswitch validate ${folder("unreadable")})\n`,
    );
  });
});

describe("hookswitch render given a folder, or an event it cannot read", () => {
  it("says a folder is one, and how to render from it", async () => {
    const { code, stderr } = await render(folder("mixed"), ["--dir", folder("unreadable")]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `hookswitch render: ${folder("mixed")} is a folder, and no integration in ` +
        `${folder("unreadable")} has that name: give one of its files, or an integration's ` +
        `name with --dir ${folder("mixed")}\n`,
    );
  });

  it("renders the integration of a name that is also a folder's here", async () => {
    await mkdir(join(dir, "cwd", "plain"), { recursive: true });
    const { code, stdout, stderr } = await runCli(
      ["render", "plain", "--dir", folder("mixed"), "--event", EVENT_FILE],
      { cwd: join(dir, "cwd"), env },
    );
    expect(code, stderr).toBe(0);
    expect(stdout.split("\n")[0]).toBe("POST http://127.0.0.1:8787/plain");
  });

  it.each([
    ["a missing file", "missing.json", /ENOENT/],
    ["a folder", ".", /EISDIR/],
  ])("exits 2, a usage error, for an --event that is %s", async (_, event, why) => {
    const { code, stdout, stderr } = await runCli(
      ["render", "plain", "--dir", folder("mixed"), "--event", join(dir, event)],
      { cwd: dir, env },
    );
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^hookswitch render: cannot read the event from \S+: /);
    expect(stderr).toMatch(why);
  });

  it("warns of an event over the daemon's default --max-event-size, and renders it", async () => {
    const event = JSON.parse(await readFile(EVENT_FILE, "utf8")) as {
      data: { user: { name: string } };
    };
    event.data.user.name = "N".repeat(100_000);
    const file = join(dir, "large-event.json");
    await writeFile(file, JSON.stringify(event));
    const { code, stdout, stderr } = await runCli(
      ["render", "plain", "--dir", folder("mixed"), "--event", file],
      { cwd: dir, env },
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^POST http:\/\/127\.0\.0\.1:8787\/plain\n/);
    expect(stderr).toMatch(
      /warning: this event is 99 KiB, larger than the daemon's default --max-event-size \(64KiB\): a daemon run with that default dead-letters it\n/,
    );
  });
});

describe("hookswitch render FILE", () => {
  it("asks for a name when the file holds several integrations, problems or not, and exits 2", async () => {
    const file = join(folder("mixed"), "c.yml");
    const { code, stderr } = await render(file);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `hookswitch render: ${file} holds several integrations (needs-secret, plain); ` +
        `render one by name with --dir ${folder("mixed")}\n`,
    );
  });

  it("reports the problems of a file's only integration", async () => {
    const file = join(folder("single"), "one.yml");
    const { code, stderr } = await render(file);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `${file}:10:30: webhook.auth.token: environment variable ${UNSET} is not set\n` +
        `hookswitch render: ${file} cannot be loaded: fix the problems above\n`,
    );
  });
});

describe("hookswitch render NAME among files it cannot read in full", () => {
  it("names every file with a document it cannot read, those that name others too", async () => {
    const { code, stderr } = await render("hidden", ["--dir", folder("two-unreadable")]);
    expect(code).toBe(2);
    const there = folder("two-unreadable");
    expect(stderr).toBe(
      `hookswitch render: no integration named hidden in ${there} (and no such file); ` +
        `integrations there: known (held back by problems); it may be in files that cannot ` +
        `be read: ${there}/a.yaml, ${there}/b.yaml (see hookswitch validate ${there})\n`,
    );
  });

  it("says the folder defines no integration when none of its files can be read", async () => {
    const { code, stderr } = await render("hidden", ["--dir", folder("only-unreadable")]);
    expect(code).toBe(2);
    const there = folder("only-unreadable");
    expect(stderr).toBe(
      `hookswitch render: no integration named hidden in ${there} (and no such file); ` +
        `it defines no integration; it may be in a file that cannot be read: ` +
        `${there}/a.yaml (see hookswitch validate ${there})\n`,
    );
  });

  it("names every other file that defines the name too", async () => {
    const { code, stderr } = await render("dup", ["--dir", folder("refused-twice")]);
    expect(code).toBe(0);
    const there = folder("refused-twice");
    expect(stderr).toBe(
      `hookswitch render: note: ${there}/b.yaml, ${there}/c.yaml define dup too, which is ` +
        `refused while ${there}/a.yaml holds the name; this is the request of ` +
        `${there}/a.yaml (see hookswitch validate)\n`,
    );
  });
});
