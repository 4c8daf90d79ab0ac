/** Worker-thread entry of `loadFiles`: loads each batch of files it is sent and posts the results. */
import { parentPort, workerData } from "node:worker_threads";
import { loadFileSync } from "./load-file.js";
import type { WorkerInput } from "./load-many.js";

const { options } = workerData as WorkerInput;
parentPort?.on("message", (files: string[]) => {
  parentPort?.postMessage(files.map((file) => loadFileSync(file, options)));
});
