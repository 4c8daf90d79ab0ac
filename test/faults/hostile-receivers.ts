/**
 * Receivers that misbehave at the TCP level, built on raw sockets so that nothing in an HTTP
 * library smooths the misbehaviour over. Each counts the connections it saw.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface HostileReceiver {
  url: string;
  connections(): number;
  close(): Promise<void>;
}

async function rawServer(onRequest: (socket: Socket) => void): Promise<HostileReceiver> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let seen = "";
    const onData = (chunk: Buffer) => {
      seen += chunk.toString("latin1");
      // The request head is in: misbehave now (bodies are small and come with the head).
      if (seen.includes("\r\n\r\n")) {
        socket.off("data", onData);
        socket.resume();
        onRequest(socket);
      }
    };
    socket.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Starts an answer, then resets the connection (RST) halfway through the body. */
export function resetMidResponse(): Promise<HostileReceiver> {
  return rawServer((socket) => {
    socket.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial");
    setTimeout(() => socket.resetAndDestroy(), 20);
  });
}

/** Accepts the request and never answers. */
export function hangForever(): Promise<HostileReceiver> {
  return rawServer(() => undefined);
}

/** Answers 200 with a 1 GiB body generated on the fly, as fast as the client reads. */
export function gigabyteBody(): Promise<HostileReceiver> {
  const size = 1024 ** 3;
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  return rawServer((socket) => {
    socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
    let sent = 0;
    const pump = () => {
      while (sent < size && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once("drain", pump);
      }
    };
    pump();
  });
}

/** Sends the response head one byte a second. */
export function trickle(): Promise<HostileReceiver> {
  const answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  return rawServer((socket) => {
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || i >= answer.length) return clearInterval(timer);
      socket.write(answer[i++]!);
    }, 1_000);
    socket.on("close", () => clearInterval(timer));
  });
}
