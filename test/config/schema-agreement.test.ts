import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Validator } from "@cfworker/json-schema";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { readSchemaText, schemaErrors } from "../../src/config/schema.js";
import { integrationObject } from "../support/config-dir.js";
import { REPO } from "../support/cli.js";

/**
 * The schema is the single source of the file format: a second, independent JSON Schema
 * 2020-12 implementation must reach the same verdict as the one hookswitch uses, on the
 * examples and on every rule a schema can express.
 */
const independent = new Validator(
  JSON.parse(readSchemaText("integration")) as object,
  "2020-12",
  false,
);

function verdicts(document: unknown) {
  const ours = schemaErrors(structuredClone(document)).length === 0;
  const theirs = independent.validate(structuredClone(document)).valid;
  return { ours, theirs };
}

const examples = readdirSync(join(REPO, "integrations.d"))
  .filter((f) => f.endsWith(".yaml"))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(REPO, "integrations.d", file), "utf8")).map(
      (doc, i) => [`${file} #${i + 1}`, doc.toJS() as unknown] as const,
    ),
  );

const broken: [string, Record<string, unknown>][] = [
  ["an unknown key", { colour: "blue" }],
  ["a wrong apiVersion", { apiVersion: "hookswitch/v2" }],
  ["a name that is not a DNS label", { name: "Not A Label" }],
  ["enabled as a string", { enabled: "yes" }],
  ["both scopes", { scope: { account: "acme", service: "3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11" } }],
  ["no scope", { scope: {} }],
  ["a malformed service UUID", { scope: { service: "not-a-uuid" } }],
  ["an unknown event", { trigger: { serviceType: "mycloudpbx", events: ["user.exploded"] } }],
  [
    "duplicate events",
    { trigger: { serviceType: "mycloudpbx", events: ["user.created", "user.created"] } },
  ],
  ["no events", { trigger: { serviceType: "mycloudpbx", events: [] } }],
  ["a relative URL", { webhook: { url: "/hooks" } }],
  ["PUT", { webhook: { url: "https://x.example/h", method: "PUT" } }],
  ["GET with json", { webhook: { url: "https://x.example/h", method: "GET", format: "json" } }],
  ["GET with form", { webhook: { url: "https://x.example/h", method: "GET", format: "form" } }],
  [
    "a header name with a space",
    { webhook: { url: "https://x.example/h", headers: { "X A": "b" } } },
  ],
  [
    "a header value with CR/LF",
    { webhook: { url: "https://x.example/h", headers: { "X-A": "a\r\nB: c" } } },
  ],
  ["a bad duration", { webhook: { url: "https://x.example/h", timeout: "10 seconds" } }],
  ["maxAttempts 0", { webhook: { url: "https://x.example/h", retry: { maxAttempts: 0 } } }],
  [
    "token auth without a token",
    { webhook: { url: "https://x.example/h", auth: { type: "token" } } },
  ],
  ["an unknown field name", { webhook: { url: "https://x.example/h", fields: { a: "nope" } } }],
  ["maxInFlight 0", { webhook: { url: "https://x.example/h", maxInFlight: 0 } }],
];

describe("the integration schema", () => {
  it.each(examples)("is valid for both validators: %s", (_name, document) => {
    expect(verdicts(document)).toEqual({ ours: true, theirs: true });
  });

  it("is valid for both validators on the smallest integration", () => {
    expect(verdicts(integrationObject("minimal"))).toEqual({ ours: true, theirs: true });
  });

  it.each(broken)("is invalid for both validators with %s", (_name, overrides) => {
    const document = { ...integrationObject("broken"), ...overrides };
    if (overrides.webhook) document.webhook = overrides.webhook;
    expect(verdicts(document)).toEqual({ ours: false, theirs: false });
  });
});
