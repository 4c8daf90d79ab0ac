/**
 * Reading a file an operator named, without ever blocking or reading without bound:
 * integration files, their `${file:}` secrets and CAs, and the files NATS variables name.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

export type RegularFileRead =
  | { ok: true; bytes: Buffer }
  | { ok: false; why: "not-regular" }
  | { ok: false; why: "too-large"; size: number; mtimeMs?: number };

/**
 * A regular file of at most `limit` bytes: a FIFO or a device (`/dev/zero`) is refused
 * before any read, and a file that claims a size it does not have (`/proc`, one growing
 * meanwhile) is read only up to the limit. Throws only what opening or reading throws
 * (ENOENT, EACCES).
 */
export function readRegularFile(file: string, limit: number): RegularFileRead {
  // O_NONBLOCK: opening a FIFO cannot block; it is refused below.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { ok: false, why: "not-regular" };
    if (info.size > limit)
      return { ok: false, why: "too-large", size: info.size, mtimeMs: info.mtimeMs };
    let bytes = readUpTo(fd, Math.min(info.size, limit) + 1);
    // More bytes than stat said: the file grew meanwhile; read again up to the limit.
    if (bytes.length > info.size) bytes = readUpTo(fd, limit + 1);
    if (bytes.length > limit) return { ok: false, why: "too-large", size: bytes.length };
    return { ok: true, bytes };
  } finally {
    closeSync(fd);
  }
}

function readUpTo(fd: number, size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  let filled = 0;
  while (filled < size) {
    const bytesRead = readSync(fd, buffer, filled, size - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Why opening or reading a named file failed: the system's code, and what it means. */
export function whyUnreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined) return (err as Error).message;
  const words = UNREADABLE[code];
  return words === undefined ? code : `${code}: ${words}`;
}

const UNREADABLE: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "a folder, not a file",
  ENOTDIR: "a part of the path is not a folder",
  ELOOP: "too many symbolic links",
};
