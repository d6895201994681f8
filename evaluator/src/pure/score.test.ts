import { describe, expect, it } from "vitest";
import { bootstrapReplicates } from "./bootstrap.ts";
import { acc } from "./metrics/acc.ts";
import { isFiniteNumber, meanAggregate } from "./metrics/mean.ts";
import type { Json, Metric } from "./metrics/types.ts";
import { metricReplicates, type ScoredItem, score } from "./score.ts";
import { meanStderr } from "./stats.ts";

/** A lower-is-better metric: a failure scored as 0 would look perfect on it. */
const latency: Metric<never> = {
  id: "latency",
  description: "seconds per item",
  higherIsBetter: false,
  aggregation: "mean",
  taskTypes: ["test"],
  score: () => 0,
  isItem: isFiniteNumber,
  aggregate: meanAggregate,
};

const ok = (index: number, scores: Record<string, number>): ScoredItem => ({
  task: "t",
  index,
  status: "ok",
  scores,
});
const failed = (index: number): ScoredItem => ({ task: "t", index, status: "error" });

describe("score stage", () => {
  it.each([
    {
      name: "failed items are excluded from a lower-is-better metric and counted",
      items: [ok(0, { latency: 2 }), failed(1), ok(2, { latency: 4 })],
      // mean of 2 and 4; stderr = sample std sqrt(2) / sqrt(2) = 1. A resample of two items
      // has mean 2 or 4 a quarter of the time each: its 2.5th and 97.5th percentiles are 2 and 4.
      row: {
        value: 3,
        stderr: 1,
        stderrMethod: "closed-form",
        ci95: { low: 2, high: 4 },
        // FNV-1a of "t\0latency"
        bootstrap: { generator: "mulberry32", iterations: 1000, seed: 3786813429 },
        n: 2,
        errors: 1,
        higherIsBetter: false,
      },
    },
    {
      name: "every item failed: no value, and it says how many failed",
      items: [failed(0), failed(1)],
      row: {
        value: null,
        stderr: null,
        stderrMethod: null,
        ci95: null,
        bootstrap: null,
        n: 0,
        errors: 2,
        higherIsBetter: false,
      },
    },
    {
      name: "one item: a value without a standard error",
      items: [ok(0, { latency: 5 })],
      // one item says nothing of the spread: no interval either
      row: {
        value: 5,
        stderr: null,
        stderrMethod: null,
        ci95: null,
        bootstrap: null,
        n: 1,
        errors: 0,
        higherIsBetter: false,
      },
    },
    {
      name: "no items",
      items: [],
      row: {
        value: null,
        stderr: null,
        stderrMethod: null,
        ci95: null,
        bootstrap: null,
        n: 0,
        errors: 0,
        higherIsBetter: false,
      },
    },
  ])("$name", ({ items, row }) => {
    expect(score([{ id: "t", metrics: [latency] }], items)).toEqual([
      { task: "t", metric: "latency", aggregation: "mean", ...row },
    ]);
  });

  it("keeps tasks and metrics in suite order and reads only each task's items", () => {
    const items: ScoredItem[] = [
      { task: "b", index: 0, status: "ok", scores: { acc: 1, latency: 1 } },
      { task: "a", index: 0, status: "ok", scores: { acc: 0 } },
      { task: "a", index: 1, status: "ok", scores: { acc: 1 } },
    ];
    const rows = score(
      [
        { id: "a", metrics: [acc] },
        { id: "b", metrics: [latency, acc] },
      ],
      items,
    );
    expect(rows.map((r) => [r.task, r.metric, r.value, r.n])).toEqual([
      ["a", "acc", 0.5, 2],
      ["b", "latency", 1, 1],
      ["b", "acc", 1, 1],
    ]);
  });

  it.each([
    ["a missing score", {}],
    ["a string", { acc: "1" }],
    ["NaN", { acc: Number.NaN }],
  ])("refuses an ok item with %s (journals are checked before they reach it)", (_, scores) => {
    const items = [{ task: "t", index: 3, status: "ok" as const, scores }];
    expect(() => score([{ id: "t", metrics: [acc] }], items)).toThrow(
      "item t#3 has no valid acc score",
    );
  });
});

/** A corpus-level metric without a closed-form stderr: hits over attempts, summed over items. */
const ratio: Metric<never, Json> = {
  id: "ratio",
  description: "hits over attempts",
  higherIsBetter: true,
  aggregation: "corpus",
  taskTypes: ["test"],
  score: () => [0, 0],
  isItem: (v): v is Json => Array.isArray(v) && v.length === 2,
  aggregate: (items) => {
    let hits = 0;
    let total = 0;
    for (const item of items as (readonly [number, number])[]) {
      hits += item[0];
      total += item[1];
    }
    return { value: total === 0 ? null : hits / total, stderr: null };
  },
};

describe("score stage intervals", () => {
  // 100 of 400 items right.
  const bits = Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? 1 : 0));

  it("gives a corpus metric a bootstrap stderr close to the closed form of the same mean", () => {
    const items = bits.map((hit, index) => ok(index, { ratio: [hit, 1] as never }));
    const [row] = score([{ id: "t", metrics: [ratio] }], items as ScoredItem[]);
    const closed = meanStderr(bits) as number;
    expect(row).toMatchObject({
      value: 0.25,
      stderrMethod: "bootstrap",
      bootstrap: { generator: "mulberry32", iterations: 1000, seed: 573714736 },
    });
    // 1,000 resamples: about 2% Monte Carlo error, and the bootstrap's sqrt((n-1)/n) bias.
    expect(Math.abs((row?.stderr as number) / closed - 1)).toBeLessThan(0.06);
    expect(Math.abs((row?.ci95?.low as number) - (0.25 - 1.96 * closed))).toBeLessThan(
      0.2 * closed,
    );
    expect(Math.abs((row?.ci95?.high as number) - (0.25 + 1.96 * closed))).toBeLessThan(
      0.2 * closed,
    );
  });

  it("resamples a mean metric exactly as its own aggregate would, without copying items", () => {
    const options = { iterations: 50, seed: 9 };
    expect(metricReplicates(acc, bits, options)).toEqual(
      bootstrapReplicates(bits, (resample) => meanAggregate(resample).value, options),
    );
  });

  it("gives the same samples the same interval, whatever else is scored", () => {
    const items = bits.map((hit, index) => ({ ...ok(index, { acc: hit }), task: "b" }));
    const alone = score([{ id: "b", metrics: [acc] }], items);
    const other = [ok(0, { acc: 1 }), ok(1, { acc: 0 })];
    const together = score(
      [
        { id: "t", metrics: [acc] },
        { id: "b", metrics: [acc] },
      ],
      [...other, ...items],
    );
    expect(together[1]).toEqual(alone[0]);
    expect(alone[0]?.ci95).not.toEqual(together[0]?.ci95);
  });

  it("records the iterations it was given, and refuses none", () => {
    const items = bits.map((hit, index) => ok(index, { acc: hit }));
    const [row] = score([{ id: "t", metrics: [acc] }], items, { iterations: 200 });
    expect(row?.bootstrap).toEqual({ generator: "mulberry32", iterations: 200, seed: 4139062454 });
    expect(() => score([{ id: "t", metrics: [acc] }], items, { iterations: 0 })).toThrow(
      "bootstrap iterations must be a whole number ≥ 1 (got 0)",
    );
  });
});
