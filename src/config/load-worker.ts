/** Worker-thread entry of `loadFiles`: loads its share of the files and posts the results. */
import { parentPort, workerData } from "node:worker_threads";
import { loadFileSync } from "./load-file.js";
import type { WorkerInput } from "./load-many.js";

const { files, options } = workerData as WorkerInput;
parentPort?.postMessage(files.map((file) => loadFileSync(file, options)));
