/**
 * Output written as fast as its reader takes it: a command that prints much (`dlq list
 * --json`, hundreds of megabytes) waits for the reader rather than holding all of it in
 * memory, and stops writing once the reader has gone (`| head`).
 */
import { readerGone } from "./closed-output.js";

/** Writes `text`; resolves once `stream` can take more, or its reader has gone. */
export function writePaced(stream: NodeJS.WriteStream, text: string): Promise<void> {
  if (readerGone(stream) || stream.write(text)) return Promise.resolve();
  return new Promise((resolve) => {
    // An EPIPE is followed by 'close': the reader has gone, and no 'drain' will come.
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

/**
 * Writes `text`, the last of the output; resolves once all of it has gone to the reader
 * (or the reader has gone): the CLI ends the process 2 s after its command, and a reader
 * that is slow to take the rest (`| less`) would lose it.
 */
export function writeLast(stream: NodeJS.WriteStream, text: string): Promise<void> {
  if (readerGone(stream)) return Promise.resolve();
  return new Promise((resolve) => stream.write(text, () => resolve()));
}
