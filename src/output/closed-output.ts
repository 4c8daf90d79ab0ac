/**
 * Output whose reader went away: `hookswitch validate | head -1` closes the pipe after one
 * line. Node reports the next write as an 'error' event on the stream, which, with no
 * listener, ends the process with a stack trace (and `emit` mid-publish, `validate` without
 * its verdict). What is left to print has no one to read it and is dropped instead: the
 * command runs to its end and exits with its own code.
 */

let installed = false;
const gone = new WeakSet<NodeJS.WriteStream>();

/**
 * Installs the listeners on standard output and standard error (once, whatever the calls).
 * Not for the daemon until it ends: its logs go to file descriptor 2 directly, and making
 * `process.stdout` and `process.stderr` for pipes (a container's) and listening to them
 * cost every event about 4k instructions (1.5%) for the rest of the process's life.
 */
export function dropOutputToClosedPipes(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => dropWhenClosed(stream, err));
  }
}

/**
 * Whether the reader of `stream` went away: a command writing much can stop there. Node
 * makes standard output writable again after each EPIPE, so the stream itself cannot tell.
 */
export function readerGone(stream: NodeJS.WriteStream): boolean {
  return gone.has(stream);
}

function dropWhenClosed(stream: NodeJS.WriteStream, err: NodeJS.ErrnoException): void {
  // Any other failure to write (a full disk behind a redirect) is not the reader's choice.
  if (err.code !== "EPIPE") throw err;
  gone.add(stream);
}
