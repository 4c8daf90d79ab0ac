/**
 * The read-only view behind `/` and `/api/integrations`: every integration as the
 * portal's "Integrations" screen shows it, invalid files with their problems, and the
 * dead-letter count. Pure: built from the config state and delivery figures.
 */
import type { InvalidFileStanding } from "../config/watch/invalid-files.js";
import { shownDescription, shownScope } from "../config/shown.js";
import type { Integration, Problem } from "../config/types.js";
import { NO_COUNTS, type DeliveryStats, type IntegrationStats } from "../delivery/stats.js";
import { totalWaiting, type WaitingCounts } from "../delivery/waiting-counts.js";
import { REVISION, VERSION } from "../version.js";

const NONE_WAITING: WaitingCounts = { retry: 0, parked: 0 };

export interface IntegrationView {
  name: string;
  description: string | null;
  type: string;
  serviceType: string;
  events: string[];
  scope: { account: string } | { service: string };
  enabled: boolean;
  file: string;
  /** Its file has problems now: what runs is the file's last valid version. */
  fileInvalid: boolean;
  lastDelivery: IntegrationStats["last"] | null;
  counts: IntegrationStats["counts"];
  /** Its deliveries waiting in JetStream (read every 10 s); null until first read. */
  waiting: WaitingCounts | null;
  /** Until when this replica holds its deliveries back, as its receiver asked (`Retry-After`). */
  heldUntil: string | null;
}

export interface StatusView {
  /** The hookswitch version this replica runs, as the page's header shows it. */
  version: string;
  /** The source revision of its build (scripts/build-info.mjs), or "unknown". */
  revision: string;
  generation: number;
  /** The digest of the integration files in force (see config/digest.ts); null before the first load. */
  configDigest: string | null;
  /** Where `--dir` led when the files in force were read, links resolved; `--dir` as given before the first load. */
  configFolder: string;
  /** Every file valid in the last load; null before the first load (a folder not there yet). */
  lastReloadSuccessful: boolean | null;
  ready: boolean;
  /** Why this replica is not ready, as `/readyz` says it; null while it is. */
  notReadyReason: string | null;
  integrations: IntegrationView[];
  invalidFiles: InvalidFileView[];
  deadLetters: number | null;
  /** Events the stream holds that no replica has been handed yet; null until first read. */
  eventsPending: number | null;
  /** Deliveries waiting in JetStream (retries and parked), every integration's; null until first read. */
  deliveriesWaiting: number | null;
  /**
   * Deliveries waiting for integrations this replica has not loaded (removed, renamed, in an
   * invalid file, or not here yet), by name: no row of `integrations` accounts for them.
   */
  waitingForUnloaded: UnloadedWaiting[];
}

export interface UnloadedWaiting extends WaitingCounts {
  integration: string;
}

export interface InvalidFileView {
  file: string;
  problems: Problem[];
  /** The integrations its documents name that run nowhere: valid documents' too. */
  notRunning: string[];
}

export interface StatusInput {
  generation: number;
  configDigest: string | null;
  configFolder: string;
  integrations: readonly Integration[];
  problems: readonly Problem[];
  /** What each file with problems holds back (config/watch/invalid-files.ts). */
  standings?: ReadonlyMap<string, InvalidFileStanding>;
  stats: DeliveryStats;
  deadLetters: number | null;
  eventsPending: number | null;
  /** Deliveries waiting in JetStream by integration, as last read; null until then. */
  waiting: ReadonlyMap<string, WaitingCounts> | null;
  /** Undefined while ready. */
  notReadyReason: string | undefined;
  /** Until when (ms since the epoch) an integration's deliveries are held back, if they are. */
  heldUntil?: (integration: string) => number | undefined;
  /** Whether a generation has been loaded yet. */
  loaded: boolean;
}

export function buildStatusView(input: StatusInput): StatusView {
  const integrations = [...input.integrations]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((integration): IntegrationView => {
      const stats = input.stats.get(integration.name);
      return {
        name: integration.name,
        description: shownDescription(integration) ?? null,
        type: integration.type,
        serviceType: integration.trigger.serviceType,
        events: integration.trigger.events,
        scope: shownScope(integration),
        enabled: integration.enabled,
        file: integration.source.file,
        fileInvalid: input.standings?.has(integration.source.file) ?? false,
        lastDelivery: stats?.last ?? null,
        counts: stats?.counts ?? { ...NO_COUNTS },
        waiting: input.waiting ? (input.waiting.get(integration.name) ?? NONE_WAITING) : null,
        heldUntil: isoOrNull(input.heldUntil?.(integration.name)),
      };
    });
  const byFile = new Map<string, Problem[]>();
  for (const problem of input.problems) {
    const list = byFile.get(problem.file) ?? [];
    list.push(problem);
    byFile.set(problem.file, list);
  }
  return {
    version: VERSION,
    revision: REVISION,
    generation: input.generation,
    configDigest: input.configDigest,
    configFolder: input.configFolder,
    lastReloadSuccessful: input.loaded ? input.problems.length === 0 : null,
    ready: input.notReadyReason === undefined,
    notReadyReason: input.notReadyReason ?? null,
    integrations,
    invalidFiles: [...byFile].map(([file, problems]) => ({
      file,
      problems,
      notRunning: input.standings?.get(file)?.notRunning ?? [],
    })),
    deadLetters: input.deadLetters,
    eventsPending: input.eventsPending,
    deliveriesWaiting: input.waiting ? totalWaiting(input.waiting) : null,
    waitingForUnloaded: unloadedWaiting(input),
  };
}

function unloadedWaiting({ waiting, integrations }: StatusInput): UnloadedWaiting[] {
  if (!waiting) return [];
  const loaded = new Set(integrations.map((i) => i.name));
  return [...waiting]
    .filter(([name, counts]) => !loaded.has(name) && counts.retry + counts.parked > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([integration, counts]) => ({ integration, ...counts }));
}

function isoOrNull(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}
