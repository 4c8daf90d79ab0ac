import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { ephemeralRangeStart, freePort } from "../../scripts/free-port.mjs";

function listen(port: number): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () =>
      resolve(() => new Promise<void>((done) => server.close(() => done()))),
    );
  });
}

describe("freePort", () => {
  it("gives a port a server can listen on, below the ports outgoing connections take", async () => {
    const port = await freePort();
    const close = await listen(port);
    await close();
    const ephemeral = ephemeralRangeStart();
    if (ephemeral !== undefined) expect(port).toBeLessThan(ephemeral);
    expect(port).toBeGreaterThanOrEqual(1_024);
  });

  it("does not give a port that a server listens on", async () => {
    const taken = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    const closers = await Promise.all(taken.map((port) => listen(port).catch(() => undefined)));
    try {
      for (let i = 0; i < 20; i++) expect(taken).not.toContain(await freePort());
    } finally {
      for (const close of closers) if (close) await close();
    }
  });
});
