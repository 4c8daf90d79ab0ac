import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { integrationYaml } from "../support/config-dir.js";
import { useRealParts } from "../support/real-parts.js";
import { makeEvent, startTracked, tempDir } from "../support/daemon.js";
import { waitFor } from "../support/wait.js";

describe("SIGHUP", () => {
  const parts = useRealParts();

  /** Publishes an event and returns the Authorization header its webhook carried. */
  const sentAuthorization = async () => {
    const event = makeEvent();
    await parts.publisher.publish(event);
    const request = await waitFor(
      () => parts.receiver.requests.find((r) => r.body.includes(event.id)),
      {
        what: `the webhook of event ${event.id}`,
      },
    );
    return request.headers.authorization;
  };

  it("rereads the configuration at once: a rotated ${file:} secret no watch sees is sent", async () => {
    const dir = tempDir();
    const secrets = tempDir(); // outside the integrations folder: no file watch covers it
    parts.cleanups.push(
      () => dir.cleanup(),
      () => secrets.cleanup(),
    );
    const token = join(secrets.path, "crm-token");
    writeFileSync(token, "first-token\n");
    writeFileSync(
      join(dir.path, "crm.yaml"),
      integrationYaml("crm", {
        webhook: {
          url: `${parts.receiver.url}/crm`,
          auth: { type: "token", token: `\${file:${token}}` },
        },
      }),
    );
    // The periodic resync would read the secret again too: keep it out of the picture.
    const daemon = await startTracked(parts.daemons, {
      natsUrl: parts.nats.url,
      dir: dir.path,
      args: ["--resync-interval", "1h"],
    });
    expect(await sentAuthorization()).toBe("Bearer first-token");

    writeFileSync(token, "second-token\n");
    daemon.signal("SIGHUP");
    await waitFor(() => daemon.output().includes("config generation 2"), {
      what: "the generation SIGHUP makes",
    });
    expect(await sentAuthorization()).toBe("Bearer second-token");
    expect(await daemon.stop()).toBe(0);
  }, 60_000);
});
