/**
 * The real parts a daemon test needs, for one describe block: a nats-server, a receiver and
 * a publisher, started before its tests and closed after them. After each test, daemons it
 * started through `daemons` (see `startTracked`) that still run are killed, and what it put
 * in `cleanups` runs, so a failed test leaves nothing behind.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import {
  connectPublisher,
  killLeftOver,
  tempDir,
  writeIntegration,
  type Publisher,
  type RunningDaemon,
} from "./daemon.js";
import { startNatsServer, type NatsServer } from "./nats-server.js";
import { startReceiver, type Receiver, type Responder } from "./receiver.js";

export interface RealParts {
  readonly nats: NatsServer;
  readonly receiver: Receiver;
  readonly publisher: Publisher;
  readonly daemons: RunningDaemon[];
  readonly cleanups: (() => void)[];
}

export function useRealParts(responder?: Responder): RealParts {
  let nats: NatsServer | undefined;
  let receiver: Receiver | undefined;
  let publisher: Publisher | undefined;
  const daemons: RunningDaemon[] = [];
  const cleanups: (() => void)[] = [];
  const started = <T>(part: T | undefined, what: string): T => {
    if (part === undefined) throw new Error(`${what} is started in beforeAll: use it in a test`);
    return part;
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver(responder);
    publisher = await connectPublisher(nats.url);
  });
  afterAll(async () => {
    await publisher?.close();
    await receiver?.close();
    await nats?.dispose();
  });
  afterEach(async () => {
    await killLeftOver(daemons);
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  return {
    get nats() {
      return started(nats, "nats-server");
    },
    get receiver() {
      return started(receiver, "the receiver");
    },
    get publisher() {
      return started(publisher, "the publisher");
    },
    daemons,
    cleanups,
  };
}

export interface FreshParts {
  readonly nats: NatsServer;
  readonly receiver: Receiver;
  /** The integrations folder, with the one integration written in it. */
  readonly dir: string;
  readonly daemons: RunningDaemon[];
}

/**
 * For each test of a describe block, parts of its own: a nats-server (empty streams), a
 * receiver and an integrations folder holding one integration named `name`, which sends to
 * `<receiver>/<name>` with `webhook`'s settings. After the test its daemons that still run
 * are killed and the parts closed.
 */
export function useFreshParts(name: string, webhook: Record<string, unknown> = {}): FreshParts {
  let nats: NatsServer | undefined;
  let receiver: Receiver | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;
  const daemons: RunningDaemon[] = [];
  const started = <T>(part: T | undefined, what: string): T => {
    if (part === undefined) throw new Error(`${what} is started in beforeEach: use it in a test`);
    return part;
  };

  beforeEach(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver();
    dir = tempDir();
    writeIntegration(dir.path, name, { url: `${receiver.url}/${name}`, ...webhook });
  });
  afterEach(async () => {
    await killLeftOver(daemons);
    await receiver?.close();
    await nats?.dispose();
    dir?.cleanup();
  });

  return {
    get nats() {
      return started(nats, "nats-server");
    },
    get receiver() {
      return started(receiver, "the receiver");
    },
    get dir() {
      return started(dir, "the folder").path;
    },
    daemons,
  };
}
