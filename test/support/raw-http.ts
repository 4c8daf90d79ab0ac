import { connect as tcpConnect } from "node:net";

/**
 * Writes one request as written and returns every byte the server sent until it closed:
 * what fetch would hide (a body after HEAD, a malformed status line) is seen as sent.
 */
export function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, "127.0.0.1");
    let answer = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer in 5 s; got ${JSON.stringify(answer)}`));
    }, 5_000);
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("latin1")));
    socket.on("error", () => undefined); // the server may reset after refusing
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.write(request);
  });
}
