import { describe, expect, it } from "vitest";
import { groupScores, pooledSampleStderr } from "./groups.ts";
import { acc } from "./metrics/acc.ts";
import { type ScoredItem, score } from "./score.ts";
import { meanStderr } from "./stats.ts";

// Reference: lm-evaluation-harness lm_eval/api/metrics.py pooled_sample_stderr:
// pooled_var = sum((n_i - 1) * se_i**2 * n_i) / (sum(n) - k); return sqrt(pooled_var / sum(n)),
// and aggregate_subtask_metrics with weight_by_size: sum(m_i * n_i) / sum(n_i).
describe("pooled_sample_stderr", () => {
  it.each([
    {
      stderrs: [0.1, 0.2],
      sizes: [10, 30],
      expected: Math.sqrt((9 * 0.01 * 10 + 29 * 0.04 * 30) / 38 / 40),
    },
    { stderrs: [0.5], sizes: [4], expected: Math.sqrt((3 * 0.25 * 4) / 3 / 4) },
    { stderrs: [0.5], sizes: [1], expected: null },
    { stderrs: [], sizes: [], expected: null },
  ])("stderrs $stderrs sizes $sizes", ({ stderrs, sizes, expected }) => {
    const got = pooledSampleStderr(stderrs, sizes);
    if (expected === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(expected, 14);
  });
});

const item = (task: string, index: number, value: number | null): ScoredItem =>
  value === null
    ? { task, index, status: "error" }
    : { task, index, status: "ok", scores: { acc: value } };

describe("group rows", () => {
  const items = [
    ...[1, 0, 1, 1].map((v, i) => item("a", i, v)),
    ...[0, 0, 1, 0, 1, 0].map((v, i) => item("b", i, v)),
    item("b", 6, null),
  ];
  const rows = score(
    [
      { id: "a", metrics: [acc] },
      { id: "b", metrics: [acc] },
    ],
    items,
  );

  it("weights each task by its scored items and pools the standard error as lm-eval does", () => {
    const [group] = groupScores([{ id: "all", tasks: ["a", "b"] }], rows, items);
    const stderrs = rows.map((r) => r.stderr as number);
    expect(group).toMatchObject({
      task: "all",
      metric: "acc",
      // 3 of 4 and 2 of 6 right: 5 of 10 items
      value: 0.5,
      n: 10,
      errors: 1,
      tasks: ["a", "b"],
      aggregation: "mean",
      higherIsBetter: true,
    });
    expect(group?.stderr).toBeCloseTo(pooledSampleStderr(stderrs, [4, 6]) as number, 14);
    // close to, not equal to, the closed form over the pooled items (lm-eval: "empirically matches")
    expect(group?.stderr).toBeCloseTo(meanStderr([1, 0, 1, 1, 0, 0, 1, 0, 1, 0]) as number, 1);
    expect(group?.ci95?.low).toBeLessThanOrEqual(0.5);
    expect(group?.ci95?.high).toBeGreaterThanOrEqual(0.5);
  });

  it("gives no value when no member task scored an item", () => {
    const failed = [item("a", 0, null), item("b", 0, null)];
    const empty = score(
      [
        { id: "a", metrics: [acc] },
        { id: "b", metrics: [acc] },
      ],
      failed,
    );
    const [group] = groupScores([{ id: "all", tasks: ["a", "b"] }], empty, failed);
    expect([group?.value, group?.stderr, group?.ci95, group?.n, group?.errors]).toEqual([
      null,
      null,
      null,
      0,
      2,
    ]);
  });

  it("groups only metrics every member reports", () => {
    expect(groupScores([{ id: "g", tasks: ["a", "missing"] }], rows, items)).toEqual([]);
  });
});
