import { describe, expect, it } from "vitest";
import { announcesBody } from "../../src/http/server.js";

describe("announcesBody", () => {
  it.each<[string, Record<string, string>, boolean]>([
    ["no body headers", {}, false],
    ["Content-Length 0", { "content-length": "0" }, false],
    ["a Content-Length above 0", { "content-length": "209715200" }, true],
    ["chunked transfer encoding", { "transfer-encoding": "chunked" }, true],
  ])("says whether a request with %s announces a body", (_name, headers, expected) => {
    expect(announcesBody(headers)).toBe(expected);
  });
});
