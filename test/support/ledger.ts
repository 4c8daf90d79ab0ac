/**
 * The books of a fault scenario: which webhook-ids must arrive (one per published event and
 * matching integration), which did, how often, and how much memory the daemons used meanwhile.
 * A scenario prints its figures as one line and fails on any loss; duplicates are reported
 * (at least once allows them).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { webhookId } from "../../src/delivery/webhook-id.js";

export interface PublishedEvent {
  id: string;
  /** Names of the integrations this event matches. */
  integrations: readonly string[];
}

export interface LedgerReport {
  events: number;
  expected: number;
  /** Unique expected webhook-ids that arrived. */
  delivered: number;
  /** Arrivals beyond the first of each webhook-id. */
  duplicates: number;
  lost: number;
  /** webhook-ids that arrived but were never expected (should be 0). */
  unexpected: number;
  maxRssMb: number;
  /** A few lost webhook-ids, for the failure message. */
  lostSample: string[];
}

/** Expected webhook-ids: webhookId(integration, event id) for every match. */
export function expectedWebhookIds(events: readonly PublishedEvent[]): Set<string> {
  const ids = new Set<string>();
  for (const event of events) {
    for (const name of event.integrations) ids.add(webhookId(name, event.id));
  }
  return ids;
}

/** Counts arrivals per webhook-id from a receiver's recorded requests. */
export function arrivals(requests: readonly { headers: Record<string, unknown> }[]) {
  const counts = new Map<string, number>();
  for (const r of requests) {
    const id = String(r.headers["webhook-id"]);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

export function reconcile(
  events: readonly PublishedEvent[],
  requests: readonly { headers: Record<string, unknown> }[],
  maxRssMb = 0,
): LedgerReport {
  const expected = expectedWebhookIds(events);
  const counts = arrivals(requests);
  let delivered = 0;
  let duplicates = 0;
  let unexpected = 0;
  for (const [id, n] of counts) {
    if (expected.has(id)) delivered++;
    else unexpected++;
    duplicates += n - 1;
  }
  const lostSample: string[] = [];
  for (const id of expected) {
    if (!counts.has(id) && lostSample.length < 5) lostSample.push(id);
  }
  return {
    events: events.length,
    expected: expected.size,
    delivered,
    duplicates,
    lost: expected.size - delivered,
    unexpected,
    maxRssMb,
    lostSample,
  };
}

/** One line per scenario, easy to copy into docs/reliability.md. */
export function printReport(scenario: string, report: LedgerReport, extra = ""): void {
  const { events, expected, delivered, duplicates, lost, maxRssMb } = report;
  console.log(
    `[ledger] ${scenario}: events=${events} expected=${expected} delivered=${delivered} ` +
      `duplicates=${duplicates} lost=${lost} maxRssMb=${maxRssMb.toFixed(0)}${extra ? ` ${extra}` : ""}`,
  );
}

/** Resident memory of a process in MiB, or undefined once it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** Open file descriptors (sockets included) of a process, or undefined once it is gone. */
export function fdCount(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** Open sockets of a process (fds that are sockets). */
export function socketCount(pid: number): number | undefined {
  try {
    const dir = `/proc/${pid}/fd`;
    let sockets = 0;
    for (const fd of readdirSync(dir)) {
      try {
        if (readlinkSync(`${dir}/${fd}`).startsWith("socket:")) sockets++;
      } catch {
        // closed meanwhile
      }
    }
    return sockets;
  } catch {
    return undefined;
  }
}

export interface ProcessSampler {
  maxRssMb(): number;
  maxFds(): number;
  maxSockets(): number;
  stop(): void;
}

/** Samples RSS, fds and sockets of whatever processes `pids()` names, every `intervalMs`. */
export function sampleProcesses(pids: () => number[], intervalMs = 250): ProcessSampler {
  let maxRss = 0;
  let maxFd = 0;
  let maxSock = 0;
  const tick = () => {
    for (const pid of pids()) {
      maxRss = Math.max(maxRss, rssMb(pid) ?? 0);
      maxFd = Math.max(maxFd, fdCount(pid) ?? 0);
      maxSock = Math.max(maxSock, socketCount(pid) ?? 0);
    }
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    maxRssMb: () => maxRss,
    maxFds: () => maxFd,
    maxSockets: () => maxSock,
    stop: () => clearInterval(timer),
  };
}
