import type { JetStreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { settleDeletions } from "../../src/nats/deletion-settle.js";
import { useNatsWithClient } from "../support/nats-server.js";

let jsm: JetStreamManager;

useNatsWithClient("deletion-settle-test", (started) => {
  ({ jsm } = started);
  return Promise.resolve();
});

/** A pause that runs `during` (the nth pause, from 1) before it ends, and counts pauses. */
function pauses(during: (n: number) => Promise<unknown> = () => Promise.resolve()) {
  const pause = async () => {
    pause.count++;
    await during(pause.count);
  };
  pause.count = 0;
  return pause;
}

const addStream = (name: string) => jsm.streams.add({ name, subjects: [`${name}.>`] });

describe("settleDeletions: waiting until hookswitch's streams read the same twice", () => {
  it("ends after one pause when the streams read the same", async () => {
    await addStream("SETTLED");
    const pause = pauses();
    await settleDeletions(jsm, ["SETTLED", "NEVER_THERE"], { pause, stopped: () => false });
    expect(pause.count).toBe(1);
  });

  it("waits once more when a stream appears between two readings", async () => {
    const pause = pauses((n) => (n === 1 ? addStream("APPEARS") : Promise.resolve()));
    await settleDeletions(jsm, ["APPEARS"], { pause, stopped: () => false });
    expect(pause.count).toBe(2);
  });

  it("waits once more when a stream is deleted and created again between two readings", async () => {
    await addStream("RECREATED");
    const pause = pauses(async (n) => {
      if (n !== 1) return;
      await jsm.streams.delete("RECREATED");
      await addStream("RECREATED");
    });
    await settleDeletions(jsm, ["RECREATED"], { pause, stopped: () => false });
    expect(pause.count).toBe(2);
  });

  it("gives up after its rounds when the streams keep changing", async () => {
    const pause = pauses((n) => addStream(`CHANGING_${n}`));
    const streams = Array.from({ length: 5 }, (_, i) => `CHANGING_${i + 1}`);
    await settleDeletions(jsm, streams, { pause, stopped: () => false, maxRounds: 3 });
    expect(pause.count).toBe(3);
  });

  it("ends at a stop without reading again, and pauses not at all once stopped", async () => {
    let stopped = false;
    const pause = pauses(() => {
      stopped = true;
      return addStream("AFTER_STOP");
    });
    await settleDeletions(jsm, ["AFTER_STOP"], { pause, stopped: () => stopped });
    expect(pause.count).toBe(1);
    await settleDeletions(jsm, ["AFTER_STOP"], { pause, stopped: () => true });
    expect(pause.count).toBe(1);
  });
});
