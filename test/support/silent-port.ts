/**
 * Raw TCP peers on 127.0.0.1 that do with each connection what a test says. The silent one
 * takes TCP connections and never says a word, not even to a TLS ClientHello: an https URL
 * on it never gets past the handshake (a stuck TLS terminator, a half-dead load balancer).
 * Each counts the connections still open, to see when the client lets go of one.
 */
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";

export interface TcpPeer {
  port: number;
  /** Connections the client has not closed yet. */
  open(): number;
  close(): Promise<void>;
}

export interface SilentPort extends TcpPeer {
  /** An https URL on the port. */
  url: string;
}

export async function startTcpPeer(onConnection: (socket: Socket) => void): Promise<TcpPeer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function startSilentPort(): Promise<SilentPort> {
  // Read, to see the client's end of the connection.
  const peer = await startTcpPeer((socket) => socket.resume());
  return { ...peer, url: `https://127.0.0.1:${peer.port}/hook` };
}
