import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { integrationYaml } from "../support/config-dir.js";
import { makeEvent, startTracked, tempDir } from "../support/daemon.js";
import { useRealParts } from "../support/real-parts.js";
import { waitFor } from "../support/wait.js";

interface Status {
  integrations: { name: string }[];
  invalidFiles: { file: string; problems: { line: number; message: string }[] }[];
}

/** An integration file whose `fields` are the given YAML lines. */
const withFields = (name: string, url: string, fields: string[]) =>
  `${integrationYaml(name, { webhook: { url } })}  fields:\n${fields.join("\n")}\n`;

describe("an integration that would make requests of hundreds of MB, beside a healthy one", () => {
  const parts = useRealParts();

  it("leaves out a file whose aliases expand past 1 MiB, and the healthy one delivers", async () => {
    const dir = tempDir();
    parts.cleanups.push(() => dir.cleanup());
    const { url } = parts.receiver;
    // 60 uses of a 20,000-character value: 1.2 MB of fields from a 20 KB file.
    const aliased = [`    k0: { value: &s ${"A".repeat(20_000)} }`];
    for (let i = 1; i < 60; i++) aliased.push(`    k${i}: { value: *s }`);
    writeFileSync(join(dir.path, "bomb.yaml"), withFields("bomb", `${url}/bomb`, aliased));
    writeFileSync(join(dir.path, "crm.yaml"), integrationYaml("crm", { webhook: { url } }));
    const daemon = await startTracked(parts.daemons, { natsUrl: parts.nats.url, dir: dir.path });

    const status = (await (await fetch(`${daemon.http}/api/integrations`)).json()) as Status;
    expect(status.integrations.map((i) => i.name)).toEqual(["crm"]);
    expect(status.invalidFiles.map((f) => f.problems)).toEqual([
      [
        expect.objectContaining({
          line: 1,
          message:
            "aliases expand this document to more than 1 MiB: write the values out, or use fewer aliases",
        }),
      ],
    ]);
    const event = makeEvent();
    await parts.publisher.publish(event);
    await waitFor(() => parts.receiver.requests.some((r) => r.body.includes(event.id)), {
      what: "the healthy integration's delivery",
    });
    expect(parts.receiver.requests.filter((r) => r.url.startsWith("/bomb"))).toEqual([]);
  }, 60_000);

  it("dead-letters unsent an event whose request would pass 2 MiB, and the healthy one delivers", async () => {
    const dir = tempDir();
    parts.cleanups.push(() => dir.cleanup());
    const { url } = parts.receiver;
    // 60,000 event ids of 36 characters: 2,160,000 characters from a 540 KB template.
    const repeats = [`    k0: { template: "${"{eventId}".repeat(60_000)}" }`];
    writeFileSync(join(dir.path, "repeats.yaml"), withFields("repeats", `${url}/big`, repeats));
    writeFileSync(join(dir.path, "crm.yaml"), integrationYaml("crm", { webhook: { url } }));
    await startTracked(parts.daemons, { natsUrl: parts.nats.url, dir: dir.path });

    const event = makeEvent();
    await parts.publisher.publish(event);
    await waitFor(() => parts.receiver.requests.some((r) => r.body.includes(event.id)), {
      what: "the healthy integration's delivery",
    });
    const letter = await waitFor(
      async () => {
        const out = await runCli(["dlq", "list", "--json", "--integration", "repeats"], {
          env: { NATS_URL: parts.nats.url },
        });
        const letters = JSON.parse(out.stdout) as { eventId: string; reason: string }[];
        return letters.find((l) => l.eventId === event.id);
      },
      { what: "the oversize delivery in the dead-letter queue" },
    );
    expect(letter.reason).toBe(
      "REQUEST_TOO_LARGE: not sent: webhook.fields.k0 would be larger than 2 MiB for this " +
        "event; if such events are to be sent, send their long values in a JSON body rather " +
        "than a URL or header, or make the integration's templates repeat fewer fields, then " +
        "replay the dead letter",
    );
    expect(parts.receiver.requests.filter((r) => r.url.startsWith("/big"))).toEqual([]);
  }, 60_000);
});
