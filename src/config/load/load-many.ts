/**
 * Loads many files at once. Parsing YAML is CPU work (a fraction of a millisecond per
 * small file), so past a few hundred files it moves to worker threads, one per spare
 * core: the daemon's event loop stays free for deliveries meanwhile, and with enough
 * cores a large folder loads in a fraction of the time. Results come back in the order
 * of `files`.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { loadFileSync, type FileResult, type LoadOptions } from "./load-file.js";

/** Below this, starting threads costs more than it saves. */
const PARALLEL_THRESHOLD = 200;
const MAX_WORKERS = 4;
/**
 * Files per request to a worker. Small enough that a thread slowed by a busy core takes
 * fewer of them and results flow back while others are still read; large enough that
 * messages cost little.
 */
const BATCH = 250;
/** Only the built module can run in a worker; from TypeScript sources, load in-process. */
const WORKER_FILE = fileURLToPath(new URL("./load-worker.js", import.meta.url));

export interface WorkerInput {
  options: LoadOptions;
}

/** Consecutive files of the list, from index `start`. */
interface Batch {
  start: number;
  files: string[];
}

export async function loadFiles(
  files: readonly string[],
  options: LoadOptions,
): Promise<FileResult[]> {
  // One core is left to the main thread and the garbage collector: loading allocates a
  // lot, and on two cores two loader threads were slower than one (1.4–1.9 s against
  // 1.0–1.25 s for 10,000 files). Even one thread keeps the daemon's event loop free.
  const threads = Math.max(1, Math.min(MAX_WORKERS, availableParallelism() - 1));
  if (files.length < PARALLEL_THRESHOLD || !existsSync(WORKER_FILE)) {
    return files.map((file) => loadFileSync(file, options));
  }
  const results = new Array<FileResult>(files.length);
  let next = 0;
  const take = (): Batch | undefined => {
    if (next >= files.length) return undefined;
    const start = next;
    next = Math.min(files.length, next + BATCH);
    return { start, files: files.slice(start, next) };
  };
  const store = ({ start }: Batch, loaded: readonly FileResult[]) => {
    loaded.forEach((result, i) => (results[start + i] = result));
  };
  await Promise.all(Array.from({ length: threads }, () => drainInWorker(take, store, options)));
  return results;
}

/**
 * One worker takes batches until none are left, holding two so that it never waits for
 * the next. If it fails for any reason, the batches it held and every later one it would
 * have taken are loaded in-process instead.
 */
function drainInWorker(
  take: () => Batch | undefined,
  store: (batch: Batch, loaded: readonly FileResult[]) => void,
  options: LoadOptions,
): Promise<void> {
  return new Promise((resolve) => {
    const input: WorkerInput = { options };
    const worker = new Worker(WORKER_FILE, { workerData: input });
    const held: Batch[] = [];
    let done = false;
    const send = () => {
      const batch = take();
      if (!batch) return;
      held.push(batch);
      worker.postMessage(batch.files);
    };
    // Resolved once the thread is gone, so that its heap is returned with the results.
    const finish = () => {
      done = true;
      worker.terminate().then(
        () => resolve(),
        () => resolve(),
      );
    };
    const fallback = () => {
      if (done) return;
      for (let batch = held.shift() ?? take(); batch; batch = held.shift() ?? take()) {
        store(
          batch,
          batch.files.map((file) => loadFileSync(file, options)),
        );
      }
      finish();
    };
    worker.on("message", (loaded: FileResult[]) => {
      const batch = held.shift();
      if (batch) store(batch, loaded);
      send();
      if (held.length === 0) finish();
    });
    worker.once("error", fallback);
    worker.once("exit", fallback);
    send();
    send();
    if (held.length === 0) finish();
  });
}
