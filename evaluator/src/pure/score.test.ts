import { describe, expect, it } from "vitest";
import { acc } from "./metrics/acc.ts";
import { isFiniteNumber, meanAggregate } from "./metrics/mean.ts";
import type { Metric } from "./metrics/types.ts";
import { type ScoredItem, score } from "./score.ts";

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
      // mean of 2 and 4; stderr = sample std sqrt(2) / sqrt(2) = 1
      row: { value: 3, stderr: 1, n: 2, errors: 1, higherIsBetter: false },
    },
    {
      name: "every item failed: no value, and it says how many failed",
      items: [failed(0), failed(1)],
      row: { value: null, stderr: null, n: 0, errors: 2, higherIsBetter: false },
    },
    {
      name: "one item: a value without a standard error",
      items: [ok(0, { latency: 5 })],
      row: { value: 5, stderr: null, n: 1, errors: 0, higherIsBetter: false },
    },
    {
      name: "no items",
      items: [],
      row: { value: null, stderr: null, n: 0, errors: 0, higherIsBetter: false },
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
