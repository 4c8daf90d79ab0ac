/**
 * Drives the real daemon (`hookswitch run` from dist/) against a real nats-server,
 * with integration folders built in temp dirs and events published over JetStream.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { buildSampleEvent, eventSubject, SAMPLE_SERVICE_UUID } from "../../src/events/sample.js";
import type { PbxEvent } from "../../src/events/types.js";
import type { EventType } from "../../src/config/types.js";
import { expect } from "vitest";
import { spawnCli, type Daemon } from "./cli.js";
import { freePort, waitFor } from "./wait.js";

/** How long `stop()` waits after SIGTERM before it sends SIGKILL. */
const STOP_KILL_AFTER_MS = 15_000;

export interface RunningDaemon extends Daemon {
  http: string;
  /**
   * SIGTERM and wait for the exit code. A daemon still running 15 s later is sent SIGKILL,
   * and the code is then null: the test fails on it, and nothing is left running.
   */
  stop(): Promise<number | null>;
}

/** Ends every daemon a test left running (SIGKILL: the test is over) and empties the list. */
export async function killLeftOver(daemons: RunningDaemon[]): Promise<void> {
  for (const d of daemons.splice(0)) {
    if (d.child.exitCode === null) d.child.kill("SIGKILL");
    await d.exited;
  }
}

/**
 * For after hooks: stops the daemons (`stop()`, each bounded), then runs every cleanup in
 * turn, each even when one before it failed, and only then checks that every daemon exited
 * 0. A daemon that fails still fails the test, and leaves no process or folder behind.
 */
export async function stopThenCleanUp(
  daemons: RunningDaemon | undefined | readonly RunningDaemon[],
  ...cleanups: (() => unknown)[]
): Promise<void> {
  const stopping = daemons === undefined ? [] : "stop" in daemons ? [daemons] : [...daemons];
  const errors: unknown[] = [];
  const codes: (number | null)[] = [];
  for (const d of stopping) {
    codes.push(
      await d.stop().catch((err: unknown) => {
        errors.push(err);
        return null;
      }),
    );
  }
  for (const cleanup of cleanups) {
    try {
      await cleanup();
    } catch (err) {
      errors.push(err);
    }
  }
  const failed = stopping.filter((_, i) => codes[i] !== 0);
  try {
    expect(
      codes,
      `exit codes of the daemons stopped after the test; the last output of the first that failed:\n` +
        (failed[0]?.output().slice(-4_000) ?? ""),
    ).toEqual(codes.map(() => 0));
  } catch (err) {
    errors.unshift(err);
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, "the test's clean-up failed");
}

export interface DaemonOptions {
  natsUrl: string;
  dir: string;
  args?: string[];
  /** Added to the test's environment; an undefined value leaves that variable out. */
  env?: Record<string, string | undefined>;
  /** Wait for /readyz (default true). */
  waitReady?: boolean;
}

/** Starts a daemon and adds it to `daemons`, for `killLeftOver` after the test. */
export async function startTracked(
  daemons: RunningDaemon[],
  options: DaemonOptions,
): Promise<RunningDaemon> {
  const d = await startDaemon(options);
  daemons.push(d);
  return d;
}

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const port = await freePort();
  const daemon = spawnCli(
    [
      "run",
      "--dir",
      options.dir,
      "--nats",
      options.natsUrl,
      "--http-addr",
      `127.0.0.1:${port}`,
      "--ack-wait",
      "3s",
      ...(options.args ?? []),
    ],
    { env: { LOG_LEVEL: "debug", ...options.env } },
  );
  const http = `http://127.0.0.1:${port}`;
  const running: RunningDaemon = {
    ...daemon,
    http,
    async stop() {
      if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) return daemon.exited;
      daemon.signal("SIGTERM");
      const timer = setTimeout(() => daemon.signal("SIGKILL"), STOP_KILL_AFTER_MS);
      try {
        return await daemon.exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  if (options.waitReady ?? true) {
    await waitFor(
      async () => {
        if (daemon.child.exitCode !== null) {
          throw new Error(`daemon exited early (${daemon.child.exitCode}):\n${daemon.output()}`);
        }
        return fetch(`${http}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
      },
      { timeoutMs: 20_000, what: "daemon readiness" },
    );
  }
  return running;
}

export function tempDir(prefix = "hookswitch-test-"): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Writes an integration file; `webhook` and the rest override a minimal valid one. */
export function writeIntegration(
  dir: string,
  name: string,
  body: { url: string } & Record<string, unknown>,
  top: Record<string, unknown> = {},
): string {
  const { url, ...webhook } = body;
  const doc = {
    apiVersion: "hookswitch/v1",
    name,
    scope: { account: "acme" },
    trigger: {
      serviceType: "mycloudpbx",
      events: ["user.created", "user.deleted", "user.modified"],
    },
    ...top,
    webhook: { url, retry: { maxAttempts: 3, initialDelay: "100ms", maxDelay: "1s" }, ...webhook },
  };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(doc, null, 2)); // JSON is YAML
  return file;
}

export interface EventOptions {
  type?: EventType;
  account?: string;
  serviceUuid?: string;
  extension?: string;
  name?: string;
}

export function makeEvent(options: EventOptions = {}): PbxEvent {
  return buildSampleEvent(
    {
      type: options.type ?? "user.created",
      account: options.account ?? "acme",
      serviceType: "mycloudpbx",
      serviceUuid: options.serviceUuid ?? SAMPLE_SERVICE_UUID,
      extension: options.extension ?? "201",
      name: options.name ?? "Alice Example",
      outboundNumber: "+61290000000",
      hasVoicemail: true,
      enabledCalls: ["Local", "National"],
    },
    { id: randomUUID(), time: new Date().toISOString() },
  );
}

export interface Publisher {
  nc: NatsConnection;
  publish(event: PbxEvent): Promise<void>;
  publishRaw(subject: string, data: string): Promise<void>;
  close(): Promise<void>;
}

export async function connectPublisher(natsUrl: string): Promise<Publisher> {
  const nc = await connect({ servers: natsUrl });
  const js = jetstream(nc);
  return {
    nc,
    async publish(event) {
      await js.publish(eventSubject(event), JSON.stringify(event), { msgID: event.id });
    },
    async publishRaw(subject, data) {
      await js.publish(subject, data);
    },
    close: () => nc.close(),
  };
}

/** Publishes `count` new events one by one, as a PBX would; returns their ids. */
export async function publishEvents(natsUrl: string, count = 1): Promise<string[]> {
  const publisher = await connectPublisher(natsUrl);
  try {
    const events = Array.from({ length: count }, () => makeEvent());
    for (const event of events) await publisher.publish(event);
    return events.map((e) => e.id);
  } finally {
    await publisher.close();
  }
}

/** Unique webhook ids seen by a receiver. */
export function webhookIds(requests: { headers: Record<string, unknown> }[]): Set<string> {
  return new Set(requests.map((r) => String(r.headers["webhook-id"])));
}

/** Event ids a receiver was sent (the default body carries `eventId`). */
export function deliveredEvents(receiver: { requests: { body: string }[] }): Set<string> {
  return new Set(
    receiver.requests.map((r) => (JSON.parse(r.body || "{}") as { eventId?: string }).eventId),
  ) as Set<string>;
}

/** A daemon's /readyz answer. */
export async function readiness(d: { http: string }): Promise<{ status: number; body: string }> {
  const res = await fetch(`${d.http}/readyz`);
  return { status: res.status, body: await res.text() };
}
