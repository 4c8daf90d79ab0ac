/**
 * The bytes of an event given to a command (`render --event`, `emit --file`): a file, or
 * standard input for "-". Only one byte more than an event may hold is read, enough to
 * know it is too large: /dev/zero or an endless pipe (`yes |`) grew the command to
 * gigabytes, read whole before anything was checked.
 */
import { open } from "node:fs/promises";
import { DEFAULT_MAX_EVENT_BYTES } from "../../delivery/oversized.js";
import { MAX_EVENT_BYTES } from "../../events/parse.js";

const CHUNK_BYTES = 64 * 1024;

/** The input holds more than an event may: it was not read to its end. */
export class EventInputTooLargeError extends Error {
  override name = "EventInputTooLargeError";
  constructor(readonly limit: number) {
    super(`it holds more than ${limit} bytes, the most an event may (make it smaller)`);
  }
}

/**
 * Reads `source` whole when it holds at most `limit` bytes (an event's limit by default);
 * rejects with EventInputTooLargeError when it holds more, or the file system's error.
 */
export async function readEventInput(source: string, limit = MAX_EVENT_BYTES): Promise<Buffer> {
  // At a terminal, "-" would wait for typing with no word of what it waits for.
  if (source === "-" && process.stdin.isTTY) {
    process.stderr.write("reading the event from standard input: paste it, then press Ctrl-D\n");
  }
  const bytes =
    source === "-"
      ? await readStream(process.stdin, limit + 1)
      : await readFileStart(source, limit + 1);
  if (bytes.length > limit) throw new EventInputTooLargeError(limit);
  return bytes;
}

async function readFileStart(path: string, limit: number): Promise<Buffer> {
  const file = await open(path, "r");
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    while (total < limit) {
      const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, limit - total));
      const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    return Buffer.concat(chunks, total);
  } finally {
    await file.close();
  }
}

async function readStream(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    chunks.push(bytes);
    total += bytes.length;
    // Leaving the loop ends the stream: the writer of an endless pipe gets EPIPE and stops.
    if (total >= limit) break;
  }
  return Buffer.concat(chunks, total).subarray(0, limit);
}

/**
 * Said of an event larger than the daemon's default --max-event-size, else undefined. The
 * daemon's own limit is its flag, unknown here: its default is what most run with.
 */
export function largeEventWarning(bytes: number): string | undefined {
  if (bytes <= DEFAULT_MAX_EVENT_BYTES) return undefined;
  return (
    `warning: this event is ${Math.ceil(bytes / 1024)} KiB, larger than the daemon's ` +
    "default --max-event-size (64KiB): a daemon run with that default dead-letters it"
  );
}
