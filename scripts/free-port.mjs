// A TCP port free on 127.0.0.1 now, for the scripts' own servers (nats-server, receivers,
// hookswitch's HTTP endpoints). Shared by the demo, the benchmarks, the soak and the image checks.
import { createServer } from "node:net";

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
