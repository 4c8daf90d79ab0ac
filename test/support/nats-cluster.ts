/**
 * A three-node JetStream cluster on loopback for fault tests: one nats-server process per
 * node, each with its own store, client port and cluster port, routed to the two others.
 * A node can be killed (SIGKILL) and started again on the same ports and store.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { natsServerBin } from "../../scripts/nats-server-bin.mjs";
import { exited, freePort, portOpen, waitFor } from "./wait.js";

export interface ClusterNode {
  name: string;
  port: number;
  clusterPort: number;
  url: string;
  storeDir: string;
  pid(): number | undefined;
  kill(): Promise<void>;
  start(): Promise<void>;
}

export interface NatsCluster {
  nodes: ClusterNode[];
  /** All client URLs, comma-separated (what `--nats` takes). */
  urls: string;
  dispose(): Promise<void>;
}

export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const ports = await Promise.all(
    Array.from({ length: size }, async () => ({
      client: await freePort(),
      cluster: await freePort(),
    })),
  );
  const root = mkdtempSync(join(tmpdir(), "hookswitch-cluster-"));
  const nodes: ClusterNode[] = ports.map((p, i) => {
    const name = `n${i + 1}`;
    const storeDir = join(root, name);
    const routes = ports
      .filter((_, j) => j !== i)
      .map((o) => `nats://127.0.0.1:${o.cluster}`)
      .join(",");
    let proc: ChildProcess | undefined;
    return {
      name,
      port: p.client,
      clusterPort: p.cluster,
      url: `nats://127.0.0.1:${p.client}`,
      storeDir,
      pid: () => proc?.pid,
      async start() {
        proc = spawn(
          natsServerBin() ?? "nats-server",
          [
            "-a",
            "127.0.0.1",
            "-p",
            String(p.client),
            "-n",
            name,
            "-js",
            "-sd",
            storeDir,
            "--cluster_name",
            "hookswitch-test",
            "--cluster",
            `nats://127.0.0.1:${p.cluster}`,
            "--routes",
            routes,
          ],
          { stdio: "ignore" },
        );
        await waitFor(() => portOpen(p.client), { timeoutMs: 10_000, what: `node ${name}` });
      },
      async kill() {
        const running = proc;
        proc = undefined;
        if (!running) return;
        running.kill("SIGKILL");
        await exited(running);
      },
    };
  });
  await Promise.all(nodes.map((n) => n.start()));
  return {
    nodes,
    urls: nodes.map((n) => n.url).join(","),
    async dispose() {
      await Promise.all(nodes.map((n) => n.kill()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
