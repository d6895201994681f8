import { describe, expect, it } from "vitest";
import { argmax, mean, meanStderr, sampleStddev } from "./stats.ts";

// Reference: lm-evaluation-harness lm_eval/api/metrics.py: sample_stddev uses ddof=1,
// mean_stderr(arr) = sample_stddev(arr) / sqrt(len(arr)).
describe("stats", () => {
  it.each([
    { values: [], mean: Number.NaN, stderr: null },
    { values: [1], mean: 1, stderr: null },
    { values: [1, 0], mean: 0.5, stderr: Math.sqrt(0.5) / Math.sqrt(2) },
    // 3 of 4 right: var = (3*(0.25)^2 + 0.75^2)/3 = 0.25, stderr = 0.5/2
    { values: [1, 1, 1, 0], mean: 0.75, stderr: 0.25 },
    { values: [2, 2, 2], mean: 2, stderr: 0 },
  ])("$values", ({ values, mean: m, stderr }) => {
    expect(mean(values)).toEqual(m);
    if (stderr === null) expect(meanStderr(values)).toBeNull();
    else expect(meanStderr(values)).toBeCloseTo(stderr, 12);
  });

  it("sample stddev of 2, 4, 4, 4, 5, 5, 7, 9 is sqrt(32/7)", () => {
    expect(sampleStddev([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
  });

  it.each([
    { values: [], index: -1 },
    { values: [3], index: 0 },
    { values: [1, 3, 3], index: 1 },
    { values: [Number.NaN, 2, 1], index: 1 },
    { values: [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY], index: 0 },
  ])("argmax $values is $index", ({ values, index }) => {
    expect(argmax(values)).toBe(index);
  });
});
