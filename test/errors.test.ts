import { describe, expect, it } from "vitest";
import {
  ConfigError,
  HttpListenError,
  NatsSetupError,
  StreamMissingError,
  UsageError,
  isExplained,
  withoutRuntimeCaAdvice,
} from "../src/errors.js";

describe("withoutRuntimeCaAdvice", () => {
  it.each<[string, string, string]>([
    [
      "leaves out Node.js 24's advice after a self-signed certificate",
      "self-signed certificate; if the root CA is installed locally, try running Node.js with --use-system-ca",
      "self-signed certificate",
    ],
    [
      "leaves it out in any letter case, as a lowercased client message has it",
      "unable to verify the first certificate; if the root ca is installed locally, try running node.js with --use-system-ca",
      "unable to verify the first certificate",
    ],
    [
      "keeps a message without it as it is (Node.js 20)",
      "unable to verify the first certificate",
      "unable to verify the first certificate",
    ],
    [
      "keeps what follows the advice",
      "self-signed certificate; if the root CA is installed locally, try running Node.js with --use-system-ca (tls://127.0.0.1:4222)",
      "self-signed certificate (tls://127.0.0.1:4222)",
    ],
  ])("%s", (_name, message, expected) => {
    expect(withoutRuntimeCaAdvice(message)).toBe(expected);
  });
});

describe("isExplained", () => {
  it.each([
    [new UsageError("--max-in-flight must be a whole number"), true],
    [new ConfigError("1 problem(s) and --strict is set"), true],
    [new NatsSetupError("cannot reach NATS"), true],
    [new StreamMissingError("PBX_EVENTS", ["pbx.>"]), true],
    [new HttpListenError("address in use"), true],
    [new TypeError("Cannot read properties of undefined"), false],
    [new Error("something unforeseen"), false],
    ["a thrown string", false],
  ])("%s: %s", (err, explained) => {
    expect(isExplained(err)).toBe(explained);
  });
});
