/**
 * Output whose reader went away: `hookswitch validate | head -1` closes the pipe after one
 * line. Node reports the next write as an 'error' event on the stream, which, with no
 * listener, ends the process with a stack trace (and `emit` mid-publish, `validate` without
 * its verdict). What is left to print has no one to read it and is dropped instead: the
 * command runs to its end and exits with its own code.
 */

/** Installs the listeners on standard output and standard error; once, at start. */
export function dropOutputToClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on("error", dropWhenClosed);
}

function dropWhenClosed(err: NodeJS.ErrnoException): void {
  // Any other failure to write (a full disk behind a redirect) is not the reader's choice.
  if (err.code !== "EPIPE") throw err;
}
