import { describe, expect, it } from "vitest";
import {
  emptyPace,
  PaceJudge,
  WARM_UP_ATTEMPTS,
  warmAverageMs,
  type Pace,
} from "../../../src/delivery/concurrency/pace.js";

const T = 100_000;

/** `count` attempts of `key` that each took `ms`, ended at `at`: by default, enough to warm it up. */
function observeMany(
  judge: PaceJudge,
  key: string,
  pace: Pace,
  ms: number,
  { at = T, count = WARM_UP_ATTEMPTS } = {},
) {
  for (let i = 0; i < count; i++) judge.observe(key, pace, ms, at);
}

/** Paces for `durations` (one steady duration per integration), all warm and recent. */
function judgeOf(durations: Record<string, number>) {
  const paces = new Map<string, Pace>();
  const judge = new PaceJudge(paces);
  for (const [key, ms] of Object.entries(durations)) {
    const pace = emptyPace();
    paces.set(key, pace);
    observeMany(judge, key, pace, ms);
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
    { peers: { fast: 20, other: 40 }, key: "other", perAttempt: 40, slow: false }, // exactly 2×
    { peers: { fast: 10, other: 25 }, key: "other", perAttempt: 25, slow: false }, // exactly 15 ms more
    { peers: { a: 2, b: 2 }, key: "b", perAttempt: 500, slow: true }, // a tie: the first is the fastest
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
    observeMany(judge, "gone", gone, 1);
    observeMany(judge, "other", other, 60);
    expect(judge.isSlow("other", 60, T)).toBe(true);
    judge.observe("other", other, 60, T + 61_000);
    expect(judge.isSlow("other", 60, T + 61_000)).toBe(false);
  });

  it("counts an average only after the warm-up attempts", () => {
    const paces = new Map<string, Pace>();
    const judge = new PaceJudge(paces);
    const pace = emptyPace();
    paces.set("new", pace);
    observeMany(judge, "new", pace, 5, { count: WARM_UP_ATTEMPTS - 1 });
    expect(warmAverageMs(pace)).toBeUndefined();
    judge.observe("new", pace, 5, T);
    expect(warmAverageMs(pace)).toBe(5);
  });
});

describe("PaceJudge between its looks over every integration (once a second)", () => {
  /** A judge that has just looked (at T) and found `fast` at 2 ms and `other` at 60 ms. */
  function lookedAt() {
    const paces = new Map<string, Pace>([
      ["fast", emptyPace()],
      ["other", emptyPace()],
    ]);
    const judge = new PaceJudge(paces);
    const warm = (key: string, ms: number, at = T) => {
      observeMany(judge, key, paces.get(key)!, ms, { at });
    };
    warm("fast", 2);
    warm("other", 60);
    expect(judge.isSlow("other", 60, T)).toBe(true);
    return { judge, paces, warm };
  }

  it("averages each attempt in at a fifth", () => {
    const { judge, paces } = lookedAt();
    judge.observe("fast", paces.get("fast")!, 12, T + 1);
    expect(paces.get("fast")!.averageMs).toBe(4); // 2 × 0.8 + 12 × 0.2
  });

  it("follows the fastest integration as it slows down", () => {
    const { judge, warm } = lookedAt();
    warm("fast", 200, T + 100);
    expect(judge.isSlow("other", 60, T + 200)).toBe(false);
  });

  it("takes a faster integration as the fastest once it is warm, not before", () => {
    const { judge, paces } = lookedAt();
    const quick = emptyPace();
    paces.set("quick", quick);
    observeMany(judge, "quick", quick, 0.1, { at: T + 100, count: WARM_UP_ATTEMPTS - 1 });
    expect(judge.isSlow("fast", 18, T + 200)).toBe(false);
    judge.observe("quick", quick, 0.1, T + 100);
    expect(judge.isSlow("fast", 18, T + 200)).toBe(true);
  });

  it("keeps the fastest when another integration's attempt ends, slower or as fast", () => {
    const { judge, paces, warm } = lookedAt();
    judge.observe("other", paces.get("other")!, 60, T + 100);
    expect(judge.isSlow("other", 60, T + 200)).toBe(true);
    paces.set("twin", emptyPace());
    warm("twin", 2, T + 100);
    expect(judge.isSlow("fast", 500, T + 200)).toBe(false);
  });

  it("looks again after a second, not sooner", () => {
    const { judge, paces } = lookedAt();
    paces.delete("fast");
    expect(judge.isSlow("other", 60, T + 999)).toBe(true);
    expect(judge.isSlow("other", 60, T + 1_000)).toBe(false);
  });

  it("counts an integration as active for less than a minute after its last attempt", () => {
    const { judge, paces } = lookedAt();
    judge.observe("other", paces.get("other")!, 60, T + 60_000);
    expect(judge.isSlow("other", 60, T + 60_000)).toBe(false);
  });
});
