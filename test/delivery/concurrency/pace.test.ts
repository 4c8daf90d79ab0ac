import { describe, expect, it } from "vitest";
import {
  emptyPace,
  PaceJudge,
  WARM_UP_ATTEMPTS,
  warmAverageMs,
  type Pace,
} from "../../../src/delivery/concurrency/pace.js";

const T = 100_000;

/** Paces for `durations` (one steady duration per integration), all warm and recent. */
function judgeOf(durations: Record<string, number>) {
  const paces = new Map<string, Pace>();
  const judge = new PaceJudge(paces);
  for (const [key, ms] of Object.entries(durations)) {
    const pace = emptyPace();
    paces.set(key, pace);
    for (let i = 0; i < WARM_UP_ATTEMPTS; i++) judge.observe(key, pace, ms, T);
  }
  return judge;
}

describe("PaceJudge", () => {
  it.each<{ peers: Record<string, number>; key: string; perAttempt: number; slow: boolean }>([
    { peers: { fast: 2, other: 60 }, key: "other", perAttempt: 60, slow: true },
    { peers: { fast: 2, other: 10 }, key: "other", perAttempt: 10, slow: false }, // 5× but only 8 ms more
    { peers: { fast: 20, other: 38 }, key: "other", perAttempt: 38, slow: false }, // 18 ms more but under 2×
    { peers: { fast: 20, other: 41 }, key: "other", perAttempt: 41, slow: true },
    { peers: { fast: 2 }, key: "fast", perAttempt: 500, slow: false }, // never slow beside itself
  ])(
    "judges $key at $perAttempt ms beside $peers: slow $slow",
    ({ peers, key, perAttempt, slow }) => {
      expect(judgeOf(peers).isSlow(key, perAttempt, T)).toBe(slow);
    },
  );

  it("forgets integrations that have not answered for a minute when it looks again", () => {
    const paces = new Map<string, Pace>();
    const judge = new PaceJudge(paces);
    const gone = emptyPace();
    const other = emptyPace();
    paces.set("gone", gone).set("other", other);
    for (let i = 0; i < WARM_UP_ATTEMPTS; i++) judge.observe("gone", gone, 1, T);
    for (let i = 0; i < WARM_UP_ATTEMPTS; i++) judge.observe("other", other, 60, T);
    expect(judge.isSlow("other", 60, T)).toBe(true);
    judge.observe("other", other, 60, T + 61_000);
    expect(judge.isSlow("other", 60, T + 61_000)).toBe(false);
  });

  it("counts an average only after the warm-up attempts", () => {
    const paces = new Map<string, Pace>();
    const judge = new PaceJudge(paces);
    const pace = emptyPace();
    paces.set("new", pace);
    for (let i = 1; i < WARM_UP_ATTEMPTS; i++) judge.observe("new", pace, 5, T);
    expect(warmAverageMs(pace)).toBeUndefined();
    judge.observe("new", pace, 5, T);
    expect(warmAverageMs(pace)).toBe(5);
  });
});
