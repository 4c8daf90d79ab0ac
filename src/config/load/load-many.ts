/**
 * Loads many files at once. Parsing YAML is CPU work (a fraction of a millisecond per
 * small file), so past a few hundred files it moves to worker threads, one per spare
 * core: the daemon's event loop stays free for deliveries meanwhile, and with enough
 * cores a large folder loads in a fraction of the time. Fewer are loaded in the calling
 * thread, in slices that leave the event loop to other work between them. Results come
 * back in the order of `files`.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { setImmediate as nextTurn } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { loadFileSync, type FileResult, type LoadOptions } from "./load-file.js";

/** Below this, starting threads costs more than it saves. */
const THREADS_FROM = 200;
/**
 * How long loading holds the event loop at a time: a webhook answered meanwhile waits for
 * no more than this.
 */
const SLICE_MS = 10;
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

/** `threadsFrom`: how many files it takes to load them in worker threads (`THREADS_FROM`). */
export async function loadFiles(
  files: readonly string[],
  options: LoadOptions,
  threadsFrom = THREADS_FROM,
): Promise<FileResult[]> {
  if (files.length < threadsFrom || !existsSync(WORKER_FILE)) {
    return loadInSlices(files, options);
  }
  // One core is left to the main thread and the garbage collector: loading allocates a
  // lot, and on two cores two loader threads were slower than one (1.4–1.9 s against
  // 1.0–1.25 s for 10,000 files). Even one thread keeps the daemon's event loop free.
  // No more threads than batches: each costs a start of its own.
  const threads = Math.max(
    1,
    Math.min(MAX_WORKERS, availableParallelism() - 1, Math.ceil(files.length / BATCH)),
  );
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

async function loadInSlices(files: readonly string[], options: LoadOptions): Promise<FileResult[]> {
  const results: FileResult[] = [];
  let sliceStart = performance.now();
  for (const file of files) {
    if (performance.now() - sliceStart > SLICE_MS) {
      await nextTurn();
      sliceStart = performance.now();
    }
    results.push(loadFileSync(file, options));
  }
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
