import type { MetricsSources } from "../../src/http/metrics.js";

/** What a daemon that has not started reports at scrape time: for metrics built in a test. */
export const IDLE_SOURCES: MetricsSources = {
  isNatsConnected: () => false,
  natsDisconnections: () => 0,
  isReady: () => false,
  requestsInFlight: () => 0,
  deliveryCounts: () => [],
  attemptResults: () => [],
};
