/**
 * Loads many files at once. Parsing YAML is CPU work (a fraction of a millisecond per
 * small file), so past a few hundred files it is spread over worker threads: a folder
 * of 10,000 files loads in a fraction of the time, and the daemon's event loop stays
 * free for deliveries meanwhile. Results come back in the order of `files`.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { loadFileSync, type FileResult, type LoadOptions } from "./load-file.js";

/** Below this, starting threads costs more than it saves. */
const PARALLEL_THRESHOLD = 200;
const MAX_WORKERS = 4;
/** Only the built module can run in a worker; from TypeScript sources, load in-process. */
const WORKER_FILE = fileURLToPath(new URL("./load-worker.js", import.meta.url));

export interface WorkerInput {
  files: string[];
  options: LoadOptions;
}

export async function loadFiles(
  files: readonly string[],
  options: LoadOptions,
): Promise<FileResult[]> {
  const threads = Math.min(MAX_WORKERS, availableParallelism());
  if (files.length < PARALLEL_THRESHOLD || threads < 2 || !existsSync(WORKER_FILE)) {
    return files.map((file) => loadFileSync(file, options));
  }
  const size = Math.ceil(files.length / threads);
  const chunks = Array.from({ length: threads }, (_, i) => files.slice(i * size, (i + 1) * size));
  const parts = await Promise.all(chunks.map((chunk) => loadInWorker(chunk, options)));
  return parts.flat();
}

/** A worker that fails for any reason is replaced by loading its share in-process. */
function loadInWorker(files: string[], options: LoadOptions): Promise<FileResult[]> {
  if (files.length === 0) return Promise.resolve([]);
  return new Promise((resolve) => {
    const input: WorkerInput = { files, options };
    const worker = new Worker(WORKER_FILE, { workerData: input });
    let settled = false;
    const fallback = () => {
      if (settled) return;
      settled = true;
      resolve(files.map((file) => loadFileSync(file, options)));
    };
    worker.once("message", (results: FileResult[]) => {
      settled = true;
      resolve(results);
      void worker.terminate();
    });
    worker.once("error", fallback);
    worker.once("exit", fallback);
  });
}
