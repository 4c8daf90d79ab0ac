/**
 * A port that takes TCP connections and never says a word, not even to a TLS ClientHello:
 * an https URL on it never gets past the handshake (a stuck TLS terminator, a half-dead load
 * balancer). It counts the connections still open, to see when the client lets go of one.
 */
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";

export interface SilentPort {
  /** An https URL on the port. */
  url: string;
  /** Connections the client has not closed yet. */
  open(): number;
  close(): Promise<void>;
}

export async function startSilentPort(): Promise<SilentPort> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.resume(); // read, to see the client's end of the connection
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/hook`,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
