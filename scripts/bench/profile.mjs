// Reads a V8 .cpuprofile and aggregates self time by function and file.
//   node scripts/bench/profile.mjs <file.cpuprofile> [top]
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Paths relative to the project or to node_modules, so no machine path is printed. */
function shortUrl(url) {
  if (!url) return "";
  const text = url.replace(/^file:\/\//, "");
  const modules = text.lastIndexOf("node_modules/");
  if (modules !== -1) return text.slice(modules + "node_modules/".length);
  const dist = text.lastIndexOf("/dist/");
  if (dist !== -1) return text.slice(dist + 1);
  return text;
}

function areaOf(url) {
  if (!url) return "(native / VM)";
  if (url.startsWith("node:")) return "node core";
  const short = shortUrl(url);
  if (short.startsWith("dist/")) return short.split("/").slice(0, 2).join("/");
  if (short !== url.replace(/^file:\/\//, "")) {
    const parts = short.split("/");
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  return "other";
}

export function summariseProfile(file, top = 25) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const byFunction = new Map();
  const byArea = new Map();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    if (functionName === "(idle)") {
      idleUs += us;
      continue;
    }
    totalUs += us;
    const key = `${functionName || "(anonymous)"}  ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ""}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const area = areaOf(url);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  // For native and VM frames, self time says little: who called them says where it came from.
  const parents = new Map();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parents.set(child, node);
  const callers = new Map();
  for (const [id, us] of selfUs) {
    const { functionName, url } = nodes.get(id).callFrame;
    if (url || functionName.startsWith("(")) continue;
    let parent = parents.get(id);
    const inNode = (frame) => !frame.url || frame.url.startsWith("node:");
    while (parent && inNode(parent.callFrame)) parent = parents.get(parent.id);
    if (!parent) continue;
    const frame = parent.callFrame;
    const key = `${functionName} <- ${frame.functionName || "(anonymous)"}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    callers.set(key, (callers.get(key) ?? 0) + us);
  }
  const rank = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / totalUs }));
  return {
    busyMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    functions: rank(byFunction, top),
    areas: rank(byArea, 15),
    callers: rank(callers, 12),
  };
}

export function formatProfile(summary) {
  const line = (r) =>
    `${r.ms.toFixed(0).padStart(7)} ms ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.name}`;
  return [
    `busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms`,
    "self time by area:",
    ...summary.areas.map(line),
    "top functions by self time:",
    ...summary.functions.map(line),
    "native functions by nearest caller outside node core:",
    ...summary.callers.map(line),
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  if (!file) throw new Error("usage: node scripts/bench/profile.mjs <file.cpuprofile> [top]");
  console.log(formatProfile(summariseProfile(file, Number(top ?? 25))));
}
