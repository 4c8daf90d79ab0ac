// A TCP port free on 127.0.0.1 now, for the servers of the tests and scripts (nats-server,
// receivers, hookswitch's HTTP endpoints). Shared by the tests, the demo, the benchmarks,
// the soak and the image checks.
//
// Taken below the range the kernel takes outgoing connections' ports from: a server stopped
// and started again on its port (a NATS restart) never finds it taken by some other
// connection meanwhile, which would make the restart fail. Where that range is unknown,
// the kernel's choice.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** Above the ports of common services. */
const PORTS_FROM = 20_000;
const TRIES = 50;

export async function freePort() {
  const below = ephemeralRangeStart();
  if (below !== undefined && below > PORTS_FROM + 1_000) {
    for (let attempt = 0; attempt < TRIES; attempt++) {
      const port = PORTS_FROM + Math.floor(Math.random() * (below - PORTS_FROM));
      if (
        await listenOn(port).then(
          () => true,
          () => false,
        )
      )
        return port;
    }
  }
  return listenOn(0);
}

/** The first port of the kernel's range for outgoing connections, where it says. */
export function ephemeralRangeStart() {
  try {
    const first = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(/\s+/)[0],
    );
    return Number.isInteger(first) && first > 0 ? first : undefined;
  } catch {
    return undefined;
  }
}

function listenOn(port) {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address();
      server.close(() => resolve(bound));
    });
  });
}
