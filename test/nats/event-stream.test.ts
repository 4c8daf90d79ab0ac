import { RetentionPolicy, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { NatsSetupError, StreamOverlapError, WorkQueueStreamError } from "../../src/errors.js";
import { ensureEventStream } from "../../src/nats/event-stream.js";
import { useNatsWithClient } from "../support/nats-server.js";

let jsm: JetStreamManager;

useNatsWithClient("event-stream-test", (started) => ({ jsm } = started));

describe("the event stream", () => {
  it("is created with file storage when missing, and ensuring it twice changes nothing", async () => {
    const first = await ensureEventStream(jsm, { name: "EV1", subjects: ["ev1.>"], create: true });
    expect(first.created).toBe(true);
    expect(first.info.config.storage).toBe(StorageType.File);
    const second = await ensureEventStream(jsm, { name: "EV1", subjects: ["ev1.>"], create: true });
    expect(second).toMatchObject({ created: false, addedSubjects: [] });
    expect(second.info.config.subjects).toEqual(["ev1.>"]);
  });

  it("takes subjects its wildcards already carry as they are", async () => {
    await jsm.streams.add({ name: "EV8", subjects: ["ev8.>"] });
    const ensured = await ensureEventStream(jsm, {
      name: "EV8",
      subjects: ["ev8.acme.>"],
      create: true,
    });
    expect(ensured.addedSubjects).toEqual([]);
    expect((await jsm.streams.info("EV8")).config.subjects).toEqual(["ev8.>"]);
  });

  it("gets missing subjects added but keeps an operator's limits", async () => {
    await jsm.streams.add({ name: "EV2", subjects: ["ev2.a.>"], max_msgs: 1000 });
    const ensured = await ensureEventStream(jsm, {
      name: "EV2",
      subjects: ["ev2.a.>", "ev2.b.>"],
      create: true,
    });
    expect(ensured.addedSubjects).toEqual(["ev2.b.>"]);
    const info = await jsm.streams.info("EV2");
    expect(info.config.subjects).toEqual(["ev2.a.>", "ev2.b.>"]);
    expect(info.config.max_msgs).toBe(1000);
  });

  it("is used as it is when it exists and creation is off", async () => {
    await jsm.streams.add({ name: "EV3", subjects: ["ev3.other.>"] });
    const ensured = await ensureEventStream(jsm, {
      name: "EV3",
      subjects: ["ev3.>"],
      create: false,
    });
    expect(ensured.created).toBe(false);
    expect((await jsm.streams.info("EV3")).config.subjects).toEqual(["ev3.other.>"]);
  });

  it("fails with a message saying what to do when it is missing and creation is off", async () => {
    const attempt = ensureEventStream(jsm, { name: "NOPE", subjects: ["nope.>"], create: false });
    await expect(attempt).rejects.toThrow(NatsSetupError);
    await expect(attempt).rejects.toThrow(/stream NOPE does not exist .*--no-create-stream/);
    await expect(jsm.streams.info("NOPE")).rejects.toThrow(/not found/);
  });
});

describe("an existing event stream on a narrower subject than ours", () => {
  it("has that subject replaced by ours, and keeps its events and settings", async () => {
    await jsm.streams.add({ name: "EV9", subjects: ["ev9.acme.>"], max_msgs: 1000 });
    await jsm.jetstream().publish("ev9.acme.call", "an event from before");
    const ensured = await ensureEventStream(jsm, {
      name: "EV9",
      subjects: ["ev9.>"],
      create: true,
    });
    expect(ensured).toMatchObject({ addedSubjects: ["ev9.>"], replacedSubjects: ["ev9.acme.>"] });
    const info = await jsm.streams.info("EV9");
    expect(info.config.subjects).toEqual(["ev9.>"]);
    expect(info.config.max_msgs).toBe(1000);
    expect(info.state.messages).toBe(1);
    // Everything it carried before, and more.
    await jsm.jetstream().publish("ev9.acme.hangup", "{}");
    await jsm.jetstream().publish("ev9.globex.call", "{}");
    expect((await jsm.streams.info("EV9")).state.messages).toBe(3);
  });

  it("keeps its subjects that ours do not cover beside ours", async () => {
    await jsm.streams.add({ name: "EV10", subjects: ["ev10.a.x", "other10.>"] });
    const ensured = await ensureEventStream(jsm, {
      name: "EV10",
      subjects: ["ev10.*.x"],
      create: true,
    });
    expect(ensured.replacedSubjects).toEqual(["ev10.a.x"]);
    expect(ensured.info.config.subjects).toEqual(["other10.>", "ev10.*.x"]);
  });
});

describe("event stream subjects that another stream carries", () => {
  it("fail to create the stream with a message naming that stream and what to do", async () => {
    await jsm.streams.add({ name: "EVENTS11", subjects: ["ev11.>"] });
    const attempt = ensureEventStream(jsm, { name: "PBX11", subjects: ["ev11.>"], create: true });
    await expect(attempt).rejects.toThrow(StreamOverlapError);
    await expect(attempt).rejects.toThrow(
      /stream PBX11 cannot take subjects ev11\.>: stream EVENTS11 already carries .*--stream EVENTS11 \(HOOKSWITCH_STREAM\) and --no-create-stream .* or change --subjects/,
    );
  });

  it("fail to be added to an existing stream, naming the stream that has them", async () => {
    await jsm.streams.add({ name: "PBX12", subjects: ["ev12.a.>"] });
    await jsm.streams.add({ name: "OTHER12", subjects: ["ev12.b.>"] });
    const attempt = ensureEventStream(jsm, {
      name: "PBX12",
      subjects: ["ev12.a.>", "ev12.b.>"],
      create: true,
    });
    await expect(attempt).rejects.toThrow(/stream OTHER12 already carries .*--stream OTHER12/);
    expect((await jsm.streams.info("PBX12")).config.subjects).toEqual(["ev12.a.>"]);
  });
});

describe("an existing work-queue event stream", () => {
  it("is refused under --deliver new before anything in it changes", async () => {
    await jsm.streams.add({
      name: "WQ13",
      subjects: ["ev13.a.>"],
      retention: RetentionPolicy.Workqueue,
    });
    const attempt = ensureEventStream(jsm, {
      name: "WQ13",
      subjects: ["ev13.>"],
      create: true,
      deliver: "new",
    });
    await expect(attempt).rejects.toThrow(WorkQueueStreamError);
    expect((await jsm.streams.info("WQ13")).config.subjects).toEqual(["ev13.a.>"]);
  });
});
