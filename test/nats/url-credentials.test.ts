import { describe, expect, it } from "vitest";
import { credentialsFromUrls, redactServer } from "../../src/nats/url-credentials.js";

describe("credentialsFromUrls: the user-info of --nats URLs", () => {
  it.each([
    [
      "a scheme in upper case",
      ["NATS://alice:s3cret@127.0.0.1:4222"],
      ["NATS://127.0.0.1:4222"],
      { kind: "userPassword", user: "alice", password: "s3cret" },
    ],
    [
      "a scheme with digits and + . -",
      ["x-nats2+tls.v1://alice:s3cret@127.0.0.1:4222"],
      ["x-nats2+tls.v1://127.0.0.1:4222"],
      { kind: "userPassword", user: "alice", password: "s3cret" },
    ],
    [
      "the same user-info on a server without a scheme after one that has it",
      ["nats://alice:s3cret@127.0.0.1:4222", "alice:s3cret@127.0.0.1:4223"],
      ["nats://127.0.0.1:4222", "127.0.0.1:4223"],
      { kind: "userPassword", user: "alice", password: "s3cret" },
    ],
  ])("takes %s", (_title, urls, servers, auth) => {
    expect(credentialsFromUrls(urls)).toEqual({ servers, auth });
  });

  it("refuses two different tokens: one connection logs in with one", () => {
    expect(() =>
      credentialsFromUrls(["nats://t0ken-a@127.0.0.1:4222", "nats://t0ken-b@127.0.0.1:4223"]),
    ).toThrow("carry different credentials");
  });

  it("names the first URL that carried the credentials when a later one differs", () => {
    const urls = [
      "nats://alice:s3cret@127.0.0.1:4222",
      "nats://alice:s3cret@127.0.0.1:4223",
      "nats://bob:other@127.0.0.1:4224",
    ];
    expect(() => credentialsFromUrls(urls)).toThrow(
      "the --nats URLs nats://****@127.0.0.1:4222 and nats://****@127.0.0.1:4224 carry different credentials",
    );
  });

  it("shows no part of a password that holds an unencoded @ or /", () => {
    expect(redactServer("nats://alice:p@ss/w@rd@127.0.0.1:4222")).toBe(
      "nats://****@127.0.0.1:4222",
    );
  });
});
