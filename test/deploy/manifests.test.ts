/**
 * The deployment examples under deploy/ parse, hang together (selectors, volumes, ports,
 * secrets, env names the CLI really reads) and carry integration files that validate.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, posix, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseDuration } from "../../src/config/durations.js";
import { BUILT_IN_DENY } from "../../src/delivery/egress.js";
import { REPO, runCli } from "../support/cli.js";
import { documentedAlertRules } from "../support/documented-alerts.js";

const DEPLOY = join(REPO, "deploy");
const K8S = join(DEPLOY, "kubernetes");
/** Where `hookswitch run`'s variables are named. */
const CLI_SOURCES = [
  "src/commands/options/run-options.ts",
  "src/commands/options/secret-options.ts",
  "src/commands/options/nats-options.ts",
]
  .map((file) => readFileSync(join(REPO, file), "utf8"))
  .join("\n");

type Labels = Record<string, string>;
interface EgressRule {
  to?: { ipBlock?: { cidr: string; except: string[] }; namespaceSelector?: object }[];
  ports?: { protocol: string; port: number }[];
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image?: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Labels; limits?: Labels };
  securityContext?: {
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
}
interface Volume {
  name: string;
  emptyDir?: object;
  configMap?: { name: string };
  secret?: { secretName: string; items?: { key: string }[] };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  terminationGracePeriodSeconds?: number;
  topologySpreadConstraints?: { topologyKey?: string; maxSkew?: number; labelSelector?: unknown }[];
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    seccompProfile?: { type: string };
  };
}
interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; labels?: Labels; annotations?: Labels };
  resources?: string[];
  data?: Labels;
  stringData?: Labels;
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Labels } & Labels;
    template?: { metadata?: { labels?: Labels; annotations?: Labels }; spec: PodSpec };
    ports?: { port: number; targetPort: string | number }[];
    publishNotReadyAddresses?: boolean;
  };
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function documents(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, "utf8")).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    return doc.toJS() as unknown;
  });
}

const k8sObjects = yamlFiles(K8S).flatMap((file) =>
  documents(file).map((object) => ({ file: relative(K8S, file), object: object as K8sObject })),
);
const ofKind = (kind: string) => k8sObjects.filter(({ object }) => object.kind === kind);
const one = (kind: string) => ofKind(kind)[0]!.object;
const deployments = ofKind("Deployment");
const hookswitchOf = (pod: PodSpec) => pod.containers.find((c) => c.name === "hookswitch")!;
const envValue = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;
const seconds = (text: string | undefined) => (parseDuration(text ?? "") ?? NaN) / 1000;

const imagePlan = JSON.parse(
  execFileSync(process.execPath, [join(REPO, "scripts/image-replay.mjs"), "--plan"], {
    encoding: "utf8",
  }),
) as { image: { user: string; expose: string[] } };

describe("every YAML file under deploy/", () => {
  it.each(yamlFiles(DEPLOY).map((file) => relative(REPO, file)))("%s parses", (file) => {
    expect(documents(join(REPO, file)).length).toBeGreaterThan(0);
  });
});

describe("the Kubernetes manifests", () => {
  it.each(k8sObjects.map(({ file, object }) => [file, object.kind ?? "?", object] as const))(
    "%s (%s) names its apiVersion, kind and metadata.name",
    (_file, kind, object) => {
      expect(object.apiVersion).toMatch(/\S/);
      if (kind !== "Kustomization") expect(object.metadata?.name).toMatch(/^[a-z0-9-]+$/);
    },
  );

  it("kustomization lists files that exist, and every base manifest but the git-sync variant", () => {
    const listed = one("Kustomization").resources ?? [];
    const expected = yamlFiles(K8S)
      .map((file) => relative(K8S, file))
      .filter((file) => !["kustomization.yaml", "deployment-git-sync.yaml"].includes(file));
    expect([...listed].sort()).toEqual(expected);
  });

  function networkPolicy() {
    return one("NetworkPolicy") as {
      spec: {
        podSelector: { matchLabels: Labels };
        policyTypes: string[];
        ingress: { ports: { port: string | number }[] }[];
        egress: EgressRule[];
      };
    };
  }

  it("has a ConfigMap, a Secret, a Service, a PodDisruptionBudget, a NetworkPolicy and both Deployments", () => {
    expect(ofKind("ConfigMap")).toHaveLength(1);
    expect(ofKind("NetworkPolicy")).toHaveLength(1);
    expect(ofKind("Secret")).toHaveLength(1);
    expect(ofKind("Service")).toHaveLength(1);
    expect(ofKind("PodDisruptionBudget")).toHaveLength(1);
    expect(deployments.map(({ file }) => file).sort()).toEqual([
      "deployment-git-sync.yaml",
      "deployment.yaml",
    ]);
  });

  it("lets a drain evict replicas that are not ready, keeping one ready replica", () => {
    const spec = one("PodDisruptionBudget").spec as { minAvailable?: number } & Record<
      string,
      unknown
    >;
    expect(spec.minAvailable).toBe(1);
    expect(spec.unhealthyPodEvictionPolicy).toBe("AlwaysAllow");
  });

  it("admits only the operations port and lets no pod reach what the egress policy refuses", () => {
    const { spec } = networkPolicy();
    expect(spec.policyTypes).toEqual(["Ingress", "Egress"]);
    const template = deployments[0]!.object.spec!.template!;
    expect(template.metadata?.labels).toMatchObject(spec.podSelector.matchLabels);
    const httpPort = hookswitchOf(template.spec).ports?.[0]?.name;
    expect(spec.ingress.flatMap((rule) => rule.ports.map((p) => p.port))).toEqual([httpPort]);
    const anyPort = spec.egress.filter((rule) => rule.ports === undefined);
    const blocks = anyPort.flatMap((rule) => rule.to ?? []).flatMap((to) => to.ipBlock ?? []);
    expect(blocks.map((b) => b.cidr)).toEqual(["0.0.0.0/0", "::/0"]);
    expect(blocks.flatMap((b) => b.except).sort()).toEqual(
      BUILT_IN_DENY.map((range) => range.cidr).sort(),
    );
  });

  it("lets pods of the cluster out by selector, and DNS alone to any address", () => {
    const { egress } = networkPolicy().spec;
    const anyPort = egress.filter((rule) => rule.ports === undefined);
    expect(anyPort.flatMap((rule) => rule.to ?? [])).toContainEqual({ namespaceSelector: {} });
    const toAnyAddress = egress.filter((rule) => rule.to === undefined);
    expect(toAnyAddress.flatMap((rule) => rule.ports ?? [])).toEqual([
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ]);
  });

  it("keeps unready pods in the Service, so their metrics are still scraped through it", () => {
    expect(one("Service").spec?.publishNotReadyAddresses).toBe(true);
  });

  it("marks every Secret value as a placeholder", () => {
    for (const value of Object.values(one("Secret").stringData ?? {})) {
      expect(value).toContain("REPLACE_ME");
    }
  });
});

describe.each(deployments.map(({ file, object }) => [file, object] as const))(
  "the Deployment in %s",
  (_file, deployment) => {
    const template = deployment.spec!.template!;
    const pod = template.spec;
    const hookswitch = hookswitchOf(pod);
    const httpPort = hookswitch.ports?.find((p) => p.name === "http")?.containerPort;

    it("runs 2 replicas whose selector matches the pod template's labels", () => {
      expect(deployment.spec?.replicas).toBe(2);
      expect(template.metadata?.labels).toMatchObject(deployment.spec!.selector!.matchLabels!);
    });

    it("spreads its replicas over nodes, so one node lost stops one of them", () => {
      const spread = pod?.topologySpreadConstraints ?? [];
      expect(spread).toContainEqual(
        expect.objectContaining({
          topologyKey: "kubernetes.io/hostname",
          maxSkew: 1,
          labelSelector: { matchLabels: deployment.spec!.selector!.matchLabels! },
        }),
      );
    });

    it("gives every container an image, resources and a locked-down securityContext", () => {
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      expect(pod.securityContext?.seccompProfile?.type).toBe("RuntimeDefault");
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        expect(container.image, container.name).toMatch(/:[\w.-]+$/);
        expect(container.resources?.requests, container.name).toBeDefined();
        expect(container.resources?.limits?.memory, container.name).toBeDefined();
        expect(container.securityContext, container.name).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        });
      }
    });

    it("runs hookswitch as the image's user, listening where probes and Prometheus look", () => {
      const uid = hookswitch.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
      expect(String(uid)).toBe(imagePlan.image.user.split(":")[0]);
      expect(hookswitch.args).toEqual(["run"]);
      expect(String(httpPort)).toBe(imagePlan.image.expose[0]);
      expect(envValue(hookswitch, "HOOKSWITCH_HTTP_ADDR")).toBe(`0.0.0.0:${httpPort}`);
      expect(hookswitch.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
      expect(hookswitch.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "http" });
      expect(template.metadata?.annotations).toEqual({
        "prometheus.io/scrape": "true",
        "prometheus.io/port": String(httpPort),
        "prometheus.io/path": "/metrics",
      });
    });

    it("takes its replies under the inbox prefix `hookswitch permissions` names in its environment", async () => {
      const env = Object.fromEntries(
        (hookswitch.env ?? []).flatMap(({ name, value }) =>
          /^(HOOKSWITCH_|NATS_)/.test(name) && value !== undefined ? [[name, value]] : [],
        ),
      );
      const prefix = envValue(hookswitch, "NATS_INBOX_PREFIX");
      expect(prefix).toBeDefined();
      const printed = await runCli(["permissions"], {
        env: { ...env, NATS_INBOX_PREFIX: undefined },
      });
      expect(printed.stdout).toContain(`"${prefix}.>"`);
      expect(readFileSync(join(DEPLOY, "nats", "permissions.conf"), "utf8")).toContain(
        `"${prefix}.>"`,
      );
    });

    it("waits longer than the grace period, keeping aborted deliveries and the NATS drain before killing a stopping pod", () => {
      const grace = seconds(envValue(hookswitch, "HOOKSWITCH_GRACE_PERIOD"));
      // docs/operating.md: above the grace period plus 35 s, e.g. 60 s with the default 20 s.
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(grace + 35);
    });

    it("mounts only declared volumes", () => {
      const declared = new Set((pod.volumes ?? []).map((v) => v.name));
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        for (const mount of container.volumeMounts ?? []) expect(declared).toContain(mount.name);
      }
    });

    it("sets only environment variables the CLI reads, or secrets the integrations use", () => {
      const integrationsText = Object.values(one("ConfigMap").data ?? {}).join("\n");
      for (const { name } of hookswitch.env ?? []) {
        if (/^(HOOKSWITCH_|NATS_|LOG_)/.test(name)) expect(CLI_SOURCES).toContain(`"${name}"`);
        else expect(integrationsText).toContain(`\${env:${name}}`);
      }
    });

    it("reads secrets from keys the Secret has", () => {
      const secret = one("Secret");
      const keys = Object.keys(secret.stringData ?? {});
      for (const { valueFrom } of hookswitch.env ?? []) {
        if (!valueFrom?.secretKeyRef) continue;
        expect(valueFrom.secretKeyRef.name).toBe(secret.metadata?.name);
        expect(keys).toContain(valueFrom.secretKeyRef.key);
      }
      for (const volume of pod.volumes ?? []) {
        for (const item of volume.secret?.items ?? []) expect(keys).toContain(item.key);
      }
    });

    it("has a mounted file behind every ${file:…} the integrations reference", () => {
      const integrationsText = Object.values(one("ConfigMap").data ?? {}).join("\n");
      const files = [...integrationsText.matchAll(/\$\{file:([^}]+)\}/g)].map((m) => m[1]!);
      for (const file of files) {
        const mount = hookswitch.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
        const volume = pod.volumes?.find((v) => v.name === mount?.name);
        const keys = volume?.secret?.items?.map((item) => item.key);
        expect(keys, file).toContain(posix.basename(file));
      }
    });

    it("is selected by the Service and the PodDisruptionBudget", () => {
      const labels = template.metadata?.labels ?? {};
      const service = one("Service").spec!;
      expect(labels).toMatchObject(service.selector ?? {});
      expect(service.ports?.[0]).toMatchObject({ port: httpPort, targetPort: "http" });
      expect(labels).toMatchObject(one("PodDisruptionBudget").spec!.selector!.matchLabels!);
    });
  },
);

describe("the integrations source of each Deployment", () => {
  it("deployment.yaml mounts the ConfigMap where HOOKSWITCH_DIR points", () => {
    const pod = deployments.find(({ file }) => file === "deployment.yaml")!.object.spec!.template!
      .spec;
    const hookswitch = hookswitchOf(pod);
    const dir = envValue(hookswitch, "HOOKSWITCH_DIR");
    const mount = hookswitch.volumeMounts?.find((m) => m.mountPath === dir);
    expect(mount?.readOnly).toBe(true);
    const volume = pod.volumes?.find((v) => v.name === mount?.name);
    expect(volume?.configMap?.name).toBe(one("ConfigMap").metadata?.name);
  });

  it("deployment-git-sync.yaml shares git-sync's checkout with hookswitch", () => {
    const pod = deployments.find(({ file }) => file === "deployment-git-sync.yaml")!.object.spec!
      .template!.spec;
    const gitSync = pod.containers.find((c) => c.image?.includes("/git-sync/git-sync:v4."));
    expect(gitSync?.args).toEqual(
      expect.arrayContaining(["--root=/git", "--link=current", expect.stringMatching(/^--repo=/)]),
    );
    expect(gitSync?.args).toEqual(expect.arrayContaining([expect.stringMatching(/^--period=/)]));
    const hookswitch = hookswitchOf(pod);
    expect(envValue(hookswitch, "HOOKSWITCH_DIR")).toMatch(/^\/git\/current\/.+/);
    const shared = gitSync?.volumeMounts?.find((m) => m.mountPath === "/git");
    expect(hookswitch.volumeMounts).toContainEqual(
      expect.objectContaining({ name: shared?.name, mountPath: "/git" }),
    );
    expect(pod.volumes?.find((v) => v.name === shared?.name)?.emptyDir).toBeDefined();
  });
});

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Labels;
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
}
const compose = documents(join(DEPLOY, "compose.yaml"))[0] as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};
const service = (name: string) => compose.services[name]!;
const hostPathOf = (mount: string) => join(DEPLOY, mount.split(":")[0]!);

describe("the Prometheus Operator example", () => {
  const MONITORING = join(DEPLOY, "prometheus-operator");
  const objects = yamlFiles(MONITORING).flatMap((file) => documents(file) as K8sObject[]);
  const kind = (name: string) => objects.find((object) => object.kind === name)!;
  const service = one("Service");

  it("kustomization lists the ServiceMonitor and the PrometheusRule, which exist", () => {
    expect(kind("Kustomization").resources).toEqual(["servicemonitor.yaml", "prometheusrule.yaml"]);
    for (const file of kind("Kustomization").resources!) {
      expect(existsSync(join(MONITORING, file)), file).toBe(true);
    }
  });

  it("scrapes /metrics through a port of the Service it selects", () => {
    const spec = kind("ServiceMonitor").spec as unknown as {
      selector: { matchLabels: Labels };
      endpoints: { port: string; path: string }[];
    };
    expect(service.metadata?.labels).toMatchObject(spec.selector.matchLabels);
    const portNames = (service.spec?.ports ?? []).map((port) => (port as { name?: string }).name);
    for (const endpoint of spec.endpoints) {
      expect(portNames).toContain(endpoint.port);
      expect(endpoint.path).toBe("/metrics");
    }
  });

  it("holds exactly the alert rules of docs/operating.md", () => {
    const spec = kind("PrometheusRule").spec as unknown as { groups: unknown[] };
    expect(spec.groups).toEqual(documentedAlertRules().groups);
  });
});

describe("the compose file", () => {
  it.each(["nats", "hookswitch", "receiver"])("runs %s with a health check", (name) => {
    expect(service(name).healthcheck?.test[0]).toBe("CMD");
  });

  it("runs NATS with JetStream on a named volume", () => {
    const nats = service("nats");
    expect(nats.command).toEqual(expect.arrayContaining(["-js", "-sd", "/data"]));
    const volume = nats.volumes?.find((v) => v.endsWith(":/data"))?.split(":")[0];
    expect(Object.keys(compose.volumes ?? {})).toContain(volume);
  });

  it("builds hookswitch from the Dockerfile and starts it after healthy NATS and receiver", () => {
    const hookswitch = service("hookswitch");
    const build = hookswitch.build!;
    expect(existsSync(join(DEPLOY, build.context, build.dockerfile))).toBe(true);
    expect(hookswitch.depends_on).toEqual({
      nats: { condition: "service_healthy" },
      receiver: { condition: "service_healthy" },
    });
    const grace = seconds(hookswitch.environment?.HOOKSWITCH_GRACE_PERIOD);
    expect(seconds(hookswitch.stop_grace_period)).toBeGreaterThan(grace + 35);
  });

  it("mounts integrations read-only where HOOKSWITCH_DIR points, with every ${env:…} set", () => {
    const hookswitch = service("hookswitch");
    const env = hookswitch.environment ?? {};
    const mount = hookswitch.volumes?.find((v) => v.includes(`:${env.HOOKSWITCH_DIR}:`));
    expect(mount).toMatch(/:ro$/);
    const text = yamlFiles(hostPathOf(mount!))
      .map((file) => readFileSync(file, "utf8"))
      .join("\n");
    for (const [, name] of text.matchAll(/\$\{env:([^}]+)\}/g)) expect(env).toHaveProperty(name!);
    for (const name of Object.keys(env).filter((n) => /^(HOOKSWITCH_|NATS_|LOG_)/.test(n))) {
      expect(CLI_SOURCES).toContain(`"${name}"`);
    }
  });

  it("runs the sample receiver script it mounts", () => {
    const receiver = service("receiver");
    const [hostDir, containerDir] = receiver.volumes![0]!.split(":");
    const script = receiver.command!.at(-1)!;
    expect(script.startsWith(`${containerDir}/`)).toBe(true);
    const onHost = join(DEPLOY, hostDir!, posix.relative(containerDir!, script));
    expect(existsSync(onHost)).toBe(true);
  });
});

describe("the example integration files", () => {
  const temp = mkdtempSync(join(tmpdir(), "hookswitch-deploy-"));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it("in the ConfigMap pass hookswitch validate", async () => {
    const dir = join(temp, "configmap");
    mkdirSync(dir);
    const files = Object.entries(one("ConfigMap").data ?? {});
    expect(files.length).toBeGreaterThan(0);
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    const result = await runCli(["validate", dir]);
    expect(result.stdout + result.stderr).toMatch(/all valid/);
    expect(result.code).toBe(0);
  });

  it("in the ConfigMap do not run with the Secret's placeholder signing key", async () => {
    const dir = join(temp, "placeholders");
    mkdirSync(dir);
    for (const [name, text] of Object.entries(one("ConfigMap").data ?? {})) {
      writeFileSync(join(dir, name), text);
    }
    const secrets = one("Secret").stringData ?? {};
    const result = await runCli(["validate", "--resolve-secrets", dir], {
      env: { CRM_TOKEN: secrets.CRM_TOKEN, CRM_SIGNING_SECRET: secrets.CRM_SIGNING_SECRET },
    });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(
      /crm-new-extension\.yaml:\d+:\d+: webhook\.signing\.secret must look like whsec_<base64>/,
    );
  });

  it("of the compose example pass hookswitch validate", async () => {
    const result = await runCli(["validate", join(DEPLOY, "integrations.d")]);
    expect(result.stdout + result.stderr).toMatch(/all valid/);
    expect(result.code).toBe(0);
  });
});
