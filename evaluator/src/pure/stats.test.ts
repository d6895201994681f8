import { describe, expect, it } from "vitest";
import { argmax, mean, meanStderr, quantileSorted, sampleStddev } from "./stats.ts";

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

  // numpy.percentile(np.arange(1, 11), [2.5, 97.5, 50, 0, 100]) = [1.225, 9.775, 5.5, 1, 10]
  it.each([
    { sorted: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], q: 0.025, expected: 1.225 },
    { sorted: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], q: 0.975, expected: 9.775 },
    { sorted: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], q: 0.5, expected: 5.5 },
    { sorted: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], q: 0, expected: 1 },
    { sorted: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], q: 1, expected: 10 },
    { sorted: [1, 2, 3], q: 0.25, expected: 1.5 },
    { sorted: [2, 2, 2], q: 0.975, expected: 2 },
    { sorted: [7], q: 0.025, expected: 7 },
    { sorted: [], q: 0.5, expected: Number.NaN },
    { sorted: [1, 2], q: Number.NaN, expected: Number.NaN },
    { sorted: [1, 2], q: 1.5, expected: Number.NaN },
  ])(
    "quantile $q of $sorted is $expected (numpy's linear interpolation)",
    ({ sorted, q, expected }) => {
      if (Number.isNaN(expected)) expect(quantileSorted(sorted, q)).toBeNaN();
      else expect(quantileSorted(sorted, q)).toBeCloseTo(expected, 12);
    },
  );
});
