/**
 * The documented alert rules, evaluated by Prometheus's own rule engine (`promtool test
 * rules`) over series as hookswitch exports them: each alert fires where it should, with its
 * labels and summary, and a healthy deployment raises none.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { documentedAlertRules, hasPromtool } from "../support/documented-alerts.js";

const run = promisify(execFile);

interface Alert {
  labels: Record<string, string>;
  summary: string;
}
interface Case {
  when: string;
  /** promtool's input series: name{labels} and values in its expanding notation, one a minute. */
  series: Record<string, string>;
  at: string;
  alert: string;
  fires: Alert[];
}

const PROD = 'namespace="prod"';
const POD_A = `${PROD},instance="10.0.0.1:9464",job="hookswitch"`;
const POD_B = `${PROD},instance="10.0.0.2:9464",job="hookswitch"`;
const pod = { namespace: "prod", instance: "10.0.0.1:9464", job: "hookswitch" };
const warning = (labels: Record<string, string>) => ({ ...labels, severity: "warning" });

/** Every metric the rules read, as a healthy pair of replicas exports it. */
const HEALTHY: Record<string, string> = {
  [`up{${POD_A}}`]: "1x60",
  [`up{${POD_B}}`]: "1x60",
  [`hookswitch_config_last_reload_successful{${POD_A}}`]: "1x60",
  [`hookswitch_config_info{${POD_A},digest="1f3a9c0b7d24"}`]: "1x60",
  [`hookswitch_config_info{${POD_B},digest="1f3a9c0b7d24"}`]: "1x60",
  [`hookswitch_ready{${POD_A}}`]: "1x60",
  [`hookswitch_nats_connected{${POD_A}}`]: "1x60",
  [`hookswitch_dead_letters{${POD_A}}`]: "0x60",
  [`hookswitch_events_pending{${POD_A}}`]: "12x60",
  [`hookswitch_events_unacknowledged{${POD_A}}`]: "30x60",
  // Taken a moment ago at every reading: the value follows the clock (a minute a step).
  [`hookswitch_events_last_acknowledged_timestamp_seconds{${POD_A}}`]: "0+60x60",
  [`hookswitch_process_start_time_seconds{${POD_A}}`]: "0x60",
  [`hookswitch_process_start_time_seconds{${POD_B}}`]: "0x60",
  [`hookswitch_nats_disconnects_total{${POD_A}}`]: "0x30 1x30",
  [`hookswitch_waiting_retries{${POD_A}}`]: "3x60",
  [`hookswitch_waiting_retries_limit{${POD_A}}`]: "500000x60",
  [`hookswitch_waiting_retries_passed_by{${POD_A}}`]: "0x60",
  [`hookswitch_events_invalid_total{${POD_A}}`]: "0x60",
  [`hookswitch_store_failures_total{${POD_A},stream="HOOKSWITCH_DELIVERIES"}`]: "0x60",
  [`hookswitch_store_failures_total{${POD_A},stream="HOOKSWITCH_DLQ"}`]: "0x60",
  [`hookswitch_deliveries_total{${POD_A},integration="crm",outcome="delivered"}`]: "0+600x60",
  [`hookswitch_deliveries_total{${POD_A},integration="crm",outcome="retried"}`]: "0+6x60",
  [`hookswitch_deliveries_total{${POD_A},integration="crm",outcome="dead-lettered"}`]: "0x60",
  [`hookswitch_deliveries_waiting{${POD_A},integration="crm",kind="retry"}`]: "3x60",
  [`hookswitch_attempt_duration_seconds_bucket{${POD_A},integration="crm",le="0.1"}`]: "0+590x60",
  [`hookswitch_attempt_duration_seconds_bucket{${POD_A},integration="crm",le="5"}`]: "0+606x60",
  [`hookswitch_attempt_duration_seconds_bucket{${POD_A},integration="crm",le="+Inf"}`]: "0+606x60",
};

const CASES: Case[] = [
  {
    when: "one replica of a namespace has an invalid file for 5 minutes",
    series: {
      [`hookswitch_config_last_reload_successful{${POD_A}}`]: "1x20",
      [`hookswitch_config_last_reload_successful{${POD_B}}`]: "0x20",
    },
    at: "10m",
    alert: "HookswitchConfigInvalid",
    fires: [
      {
        labels: warning({ namespace: "prod" }),
        summary: "An integration file is invalid; see the status page or `hookswitch validate`",
      },
    ],
  },
  {
    when: "two replicas of a namespace run different files for 10 minutes",
    series: {
      [`hookswitch_config_info{${POD_A},digest="1f3a9c0b7d24"}`]: "1x20",
      [`hookswitch_config_info{${POD_B},digest="77c0e2a4b915"}`]: "1x20",
    },
    at: "15m",
    alert: "HookswitchReplicasDisagree",
    fires: [
      {
        labels: warning({ namespace: "prod", job: "hookswitch" }),
        summary:
          "Replicas run different integration files (2 config digests): compare their logs or /api/integrations",
      },
    ],
  },
  {
    when: "replicas take a new commit 3 minutes apart",
    series: {
      // A scrape without the old series marks it stale: it ends as the new one begins.
      [`hookswitch_config_info{${POD_A},digest="1f3a9c0b7d24"}`]: "1x4 stale",
      [`hookswitch_config_info{${POD_A},digest="77c0e2a4b915"}`]: "_x5 1x25",
      [`hookswitch_config_info{${POD_B},digest="1f3a9c0b7d24"}`]: "1x7 stale",
      [`hookswitch_config_info{${POD_B},digest="77c0e2a4b915"}`]: "_x8 1x22",
    },
    at: "7m",
    alert: "HookswitchReplicasDisagree",
    fires: [],
  },
  {
    when: "replicas in two namespaces run different files, each namespace agreeing",
    series: {
      [`hookswitch_config_info{${POD_A},digest="1f3a9c0b7d24"}`]: "1x20",
      [`hookswitch_config_info{namespace="staging",instance="10.0.1.1:9464",job="hookswitch",digest="77c0e2a4b915"}`]:
        "1x20",
    },
    at: "15m",
    alert: "HookswitchReplicasDisagree",
    fires: [],
  },
  {
    when: "two deployments of a namespace run their own files, each agreeing",
    series: {
      [`hookswitch_config_info{${POD_A},digest="1f3a9c0b7d24"}`]: "1x20",
      [`hookswitch_config_info{${PROD},instance="10.0.0.9:9464",job="hookswitch-billing",digest="77c0e2a4b915"}`]:
        "1x20",
    },
    at: "15m",
    alert: "HookswitchReplicasDisagree",
    fires: [],
  },
  {
    when: "a delivery was dead-lettered in the last 15 minutes",
    series: {
      [`hookswitch_deliveries_total{${POD_A},integration="crm",outcome="dead-lettered"}`]:
        "0 0 0 1 1 1",
    },
    at: "5m",
    alert: "HookswitchDeadLettersGrowing",
    fires: [
      {
        labels: warning({ namespace: "prod", integration: "crm" }),
        summary: "Deliveries to crm are being dead-lettered",
      },
    ],
  },
  {
    when: "messages that are not events arrived in the last 15 minutes",
    series: { [`hookswitch_events_invalid_total{${POD_A}}`]: "0 0 0 2 2 2" },
    at: "5m",
    alert: "HookswitchInvalidEvents",
    fires: [
      {
        labels: warning({ namespace: "prod" }),
        summary:
          "Messages on the PBX subjects are not valid events; they are dead-lettered with the reason (`hookswitch dlq list`)",
      },
    ],
  },
  {
    when: "dead letters have waited an hour, counted alike by two replicas",
    series: {
      [`hookswitch_dead_letters{${POD_A}}`]: "3x90",
      [`hookswitch_dead_letters{${POD_B}}`]: "3x90",
    },
    at: "70m",
    alert: "HookswitchDeadLetterQueueNotEmpty",
    fires: [
      {
        labels: { namespace: "prod", severity: "info" },
        summary: "3 dead letters wait to be replayed or purged (`hookswitch dlq list`)",
      },
    ],
  },
  {
    when: "a third of an integration's attempts fail for 15 minutes",
    series: {
      [`hookswitch_deliveries_total{${POD_A},integration="crm",outcome="delivered"}`]: "0+60x40",
      [`hookswitch_deliveries_total{${POD_A},integration="crm",outcome="retried"}`]: "0+30x40",
    },
    at: "30m",
    alert: "HookswitchDeliveryFailureRatio",
    fires: [
      {
        labels: warning({ namespace: "prod", integration: "crm" }),
        summary: "More than 20% of attempts to crm fail",
      },
    ],
  },
  {
    when: "a replica is not ready for 5 minutes",
    series: { [`hookswitch_ready{${POD_A}}`]: "0x10" },
    at: "6m",
    alert: "HookswitchNotReady",
    fires: [{ labels: warning(pod), summary: "10.0.0.1:9464 is not ready: see its /readyz" }],
  },
  {
    when: "a replica is not connected to NATS for 2 minutes",
    series: { [`hookswitch_nats_connected{${POD_A}}`]: "0x10" },
    at: "3m",
    alert: "HookswitchNatsDisconnected",
    fires: [
      {
        labels: warning(pod),
        summary: "10.0.0.1:9464 has not been connected to NATS for 2 minutes",
      },
    ],
  },
  {
    when: "the NATS connection drops every minute, each time back before the scrape",
    series: { [`hookswitch_nats_disconnects_total{${POD_A}}`]: "0+1x20" },
    at: "10m",
    alert: "HookswitchNatsFlapping",
    fires: [
      {
        labels: warning(pod),
        summary: "10.0.0.1:9464 lost its NATS connection more than 3 times in 15 minutes",
      },
    ],
  },
  {
    when: "the NATS connection dropped twice in an hour",
    series: { [`hookswitch_nats_disconnects_total{${POD_A}}`]: "0x10 1x20 2x30" },
    at: "40m",
    alert: "HookswitchNatsFlapping",
    fires: [],
  },
  {
    when: "one replica of two cannot be scraped for 5 minutes",
    series: { [`up{${POD_A}}`]: "0x10", [`up{${POD_B}}`]: "1x10" },
    at: "6m",
    alert: "HookswitchDown",
    fires: [{ labels: warning(pod), summary: "10.0.0.1:9464 cannot be scraped" }],
  },
  {
    when: "one replica of two cannot be scraped, the other delivers",
    series: { [`up{${POD_A}}`]: "0x10", [`up{${POD_B}}`]: "1x10" },
    at: "6m",
    alert: "HookswitchAbsent",
    fires: [],
  },
  {
    when: "the only replica cannot be scraped for 5 minutes",
    series: { [`up{${POD_A}}`]: "0x10" },
    at: "6m",
    alert: "HookswitchAbsent",
    fires: [
      {
        labels: { severity: "critical" },
        summary: "No hookswitch replica is up: no webhooks are sent",
      },
    ],
  },
  {
    when: "no replica has been scraped at all for 5 minutes (scaled to 0)",
    series: { [`hookswitch_unrelated{${PROD}}`]: "1x10" },
    at: "6m",
    alert: "HookswitchAbsent",
    fires: [
      {
        labels: { severity: "critical" },
        summary: "No hookswitch replica is up: no webhooks are sent",
      },
    ],
  },
  {
    when: "over 1,000 events wait in the stream for 15 minutes",
    series: { [`hookswitch_events_pending{${POD_A}}`]: "5000x20" },
    at: "16m",
    alert: "HookswitchFallingBehind",
    fires: [
      {
        labels: warning({ namespace: "prod" }),
        summary: "hookswitch has not kept up with the PBX events for 15 minutes",
      },
    ],
  },
  {
    when: "events wait and no acknowledgement was taken for over 15 minutes",
    series: {
      [`hookswitch_events_pending{${POD_A}}`]: "50x20",
      [`hookswitch_events_pending{${POD_B}}`]: "50x20",
      [`hookswitch_events_unacknowledged{${POD_A}}`]: "0x20",
      [`hookswitch_events_unacknowledged{${POD_B}}`]: "0x20",
      [`hookswitch_events_last_acknowledged_timestamp_seconds{${POD_A}}`]: "0x20",
      [`hookswitch_events_last_acknowledged_timestamp_seconds{${POD_B}}`]: "0x20",
    },
    at: "17m",
    alert: "HookswitchStalled",
    fires: [
      {
        labels: { namespace: "prod", severity: "critical" },
        summary: "hookswitch has acknowledged no PBX event for 15 minutes while events wait",
      },
    ],
  },
  {
    when: "events wait only in progress and none was acknowledged for 15 minutes",
    series: {
      [`hookswitch_events_pending{${POD_A}}`]: "0x20",
      [`hookswitch_events_unacknowledged{${POD_A}}`]: "64x20",
      [`hookswitch_events_last_acknowledged_timestamp_seconds{${POD_A}}`]: "0x20",
    },
    at: "17m",
    alert: "HookswitchStalled",
    fires: [
      {
        labels: { namespace: "prod", severity: "critical" },
        summary: "hookswitch has acknowledged no PBX event for 15 minutes while events wait",
      },
    ],
  },
  {
    when: "events wait and none was ever acknowledged, every replica up for 17 minutes",
    series: {
      [`hookswitch_events_pending{${POD_A}}`]: "0x20",
      [`hookswitch_events_unacknowledged{${POD_A}}`]: "64x20",
      [`hookswitch_process_start_time_seconds{${POD_A}}`]: "0x20",
      [`hookswitch_process_start_time_seconds{${POD_B}}`]: "0x20",
    },
    at: "17m",
    alert: "HookswitchStalled",
    fires: [
      {
        labels: { namespace: "prod", severity: "critical" },
        summary: "hookswitch has acknowledged no PBX event for 15 minutes while events wait",
      },
    ],
  },
  {
    when: "events wait and none was ever acknowledged, one replica up for 5 minutes",
    series: {
      [`hookswitch_events_pending{${POD_A}}`]: "0x20",
      [`hookswitch_events_unacknowledged{${POD_A}}`]: "64x20",
      [`hookswitch_process_start_time_seconds{${POD_A}}`]: "0x20",
      [`hookswitch_process_start_time_seconds{${POD_B}}`]: "720x20",
    },
    at: "17m",
    alert: "HookswitchStalled",
    fires: [],
  },
  {
    when: "a new deployment: none ever acknowledged, and nothing waits",
    series: {
      [`hookswitch_events_pending{${POD_A}}`]: "0x20",
      [`hookswitch_events_unacknowledged{${POD_A}}`]: "0x20",
      [`hookswitch_process_start_time_seconds{${POD_A}}`]: "0x20",
    },
    at: "17m",
    alert: "HookswitchStalled",
    fires: [],
  },
  {
    when: "no event came for an hour: nothing waits, nothing is acknowledged",
    series: {
      [`hookswitch_events_pending{${POD_A}}`]: "0x60",
      [`hookswitch_events_unacknowledged{${POD_A}}`]: "0x60",
      [`hookswitch_events_last_acknowledged_timestamp_seconds{${POD_A}}`]: "0x60",
    },
    at: "50m",
    alert: "HookswitchStalled",
    fires: [],
  },
  {
    when: "a backlog arrives after a quiet hour and the first acknowledgements follow",
    series: {
      [`hookswitch_events_pending{${POD_A}}`]: "0x60 5000x10",
      [`hookswitch_events_unacknowledged{${POD_A}}`]: "0x60 64x10",
      [`hookswitch_events_last_acknowledged_timestamp_seconds{${POD_A}}`]: "0x60 3660+60x10",
    },
    at: "68m",
    alert: "HookswitchStalled",
    fires: [],
  },
  {
    when: "waiting retries fill 90% of --max-waiting-retries for 10 minutes",
    series: {
      [`hookswitch_waiting_retries{${POD_A}}`]: "450x15",
      [`hookswitch_waiting_retries{${POD_B}}`]: "450x15",
      [`hookswitch_waiting_retries_limit{${POD_A}}`]: "500x15",
      [`hookswitch_waiting_retries_limit{${POD_B}}`]: "500x15",
    },
    at: "11m",
    alert: "HookswitchRetriesNearLimit",
    fires: [
      {
        labels: warning({ namespace: "prod" }),
        summary: "Waiting retries fill 90% of --max-waiting-retries",
      },
    ],
  },
  {
    when: "waiting retries fill half of --max-waiting-retries",
    series: {
      [`hookswitch_waiting_retries{${POD_A}}`]: "250x15",
      [`hookswitch_waiting_retries_limit{${POD_A}}`]: "500x15",
    },
    at: "11m",
    alert: "HookswitchRetriesNearLimit",
    fires: [],
  },
  {
    when: "replicas find a retry their delivery consumer passes by for 5 minutes",
    series: {
      [`hookswitch_waiting_retries_passed_by{${POD_A}}`]: "0x3 2x10",
      [`hookswitch_waiting_retries_passed_by{${POD_B}}`]: "0x3 2x10",
    },
    at: "9m",
    alert: "HookswitchRetriesPassedBy",
    fires: [
      {
        labels: { namespace: "prod", severity: "critical" },
        summary:
          "2 retries wait that NATS does not hand out: upgrade nats-server to 2.10.27 or later",
      },
    ],
  },
  {
    when: "a retry was passed by for 4 minutes, and handed over",
    series: {
      [`hookswitch_waiting_retries_passed_by{${POD_A}}`]: "0x3 1x4 0x5",
    },
    at: "9m",
    alert: "HookswitchRetriesPassedBy",
    fires: [],
  },
  {
    when: "over 1,000 retries of one integration wait for 15 minutes",
    series: {
      [`hookswitch_deliveries_waiting{${POD_A},integration="billing",kind="retry"}`]: "2000x20",
      [`hookswitch_deliveries_waiting{${POD_B},integration="billing",kind="retry"}`]: "2000x20",
    },
    at: "16m",
    alert: "HookswitchDeliveriesPilingUp",
    fires: [
      {
        labels: warning({ namespace: "prod", integration: "billing", kind: "retry" }),
        summary: "billing has over 1,000 deliveries waiting (retry)",
      },
    ],
  },
  {
    when: "most attempts to an integration take over 5 s for 15 minutes",
    series: {
      [`hookswitch_attempt_duration_seconds_bucket{${POD_A},integration="crm",le="5"}`]: "0+1x40",
      [`hookswitch_attempt_duration_seconds_bucket{${POD_A},integration="crm",le="10"}`]: "0+10x40",
      [`hookswitch_attempt_duration_seconds_bucket{${POD_A},integration="crm",le="+Inf"}`]:
        "0+10x40",
    },
    at: "30m",
    alert: "HookswitchSlowReceiver",
    fires: [
      {
        labels: warning({ namespace: "prod", integration: "crm" }),
        summary: "The slowest 5% of attempts to crm take over 5 s",
      },
    ],
  },
  {
    when: "JetStream refuses a replica's delivery records for 10 minutes",
    series: {
      [`hookswitch_store_failures_total{${POD_A},stream="HOOKSWITCH_DELIVERIES"}`]: "0x5 0+40x20",
    },
    at: "16m",
    alert: "HookswitchStoreFailures",
    fires: [
      {
        labels: warning({ namespace: "prod", stream: "HOOKSWITCH_DELIVERIES" }),
        summary:
          "JetStream does not store hookswitch's records in HOOKSWITCH_DELIVERIES: give it room (see When JetStream cannot store in the operating guide)",
      },
    ],
  },
  {
    when: "a few dead letters are not stored during a NATS restart",
    series: {
      [`hookswitch_store_failures_total{${POD_A},stream="HOOKSWITCH_DLQ"}`]: "0x5 3x25",
    },
    at: "10m",
    alert: "HookswitchStoreFailures",
    fires: [],
  },
];

const ALERTS = (documentedAlertRules().groups as { rules: { alert: string }[] }[]).flatMap(
  (group) => group.rules.map((rule) => rule.alert),
);

describe.skipIf(!hasPromtool)("the documented alert rules, evaluated by promtool", () => {
  const dir = mkdtempSync(join(tmpdir(), "hookswitch-alerts-"));
  writeFileSync(join(dir, "rules.yaml"), documentedAlertRules().text);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs one promtool unit test; its report when the rules did not do what it expects. */
  async function evaluate(name: string, test: object): Promise<string> {
    const file = join(dir, `${name}.test.yaml`);
    writeFileSync(
      file,
      stringify({ rule_files: ["rules.yaml"], evaluation_interval: "1m", tests: [test] }),
    );
    try {
      await run("promtool", ["test", "rules", file], { cwd: dir });
      return "as expected";
    } catch (err) {
      const { stdout, stderr } = err as { stdout?: string; stderr?: string };
      return `${stdout ?? ""}${stderr ?? ""}`;
    }
  }

  const inputs = (series: Record<string, string>) =>
    Object.entries(series).map(([name, values]) => ({ series: name, values }));

  it.each(CASES.map((c, i) => [`${c.alert}: ${c.when}`, { ...c, i }] as const))(
    "%s",
    async (_, c) => {
      const test = {
        interval: "1m",
        input_series: inputs(c.series),
        alert_rule_test: [
          {
            eval_time: c.at,
            alertname: c.alert,
            exp_alerts: c.fires.map((fired) => ({
              exp_labels: fired.labels,
              exp_annotations: { summary: fired.summary },
            })),
          },
        ],
      };
      expect(await evaluate(`case-${c.i}`, test)).toBe("as expected");
    },
  );

  it("covers every documented alert", () => {
    expect([...new Set(CASES.map((c) => c.alert))].sort()).toEqual([...ALERTS].sort());
  });

  it("raises none of them for a healthy pair of replicas, at any time over an hour", async () => {
    const test = {
      interval: "1m",
      input_series: inputs(HEALTHY),
      alert_rule_test: ["5m", "20m", "45m"].flatMap((at) =>
        ALERTS.map((alertname) => ({ eval_time: at, alertname, exp_alerts: [] })),
      ),
    };
    expect(await evaluate("healthy", test)).toBe("as expected");
  });
});
