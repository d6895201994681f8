import { describe, expect, it } from "vitest";
import {
  bootstrapMeans,
  bootstrapReplicates,
  bootstrapStderr,
  forEachResample,
  percentileInterval,
} from "./bootstrap.ts";
import { mean, meanStderr } from "./stats.ts";

describe("forEachResample", () => {
  it("draws n indices below n per resample, the same ones for the same seed", () => {
    const draw = (seed: number) => {
      const all: number[][] = [];
      forEachResample(5, { iterations: 3, seed }, (indices) => all.push(Array.from(indices)));
      return all;
    };
    const first = draw(11);
    expect(first).toHaveLength(3);
    expect(first.flat().every((i) => Number.isInteger(i) && i >= 0 && i < 5)).toBe(true);
    expect(draw(11)).toEqual(first);
    expect(draw(12)).not.toEqual(first);
  });

  it("never visits without items", () => {
    let visits = 0;
    forEachResample(0, { iterations: 10, seed: 1 }, () => {
      visits += 1;
    });
    expect(visits).toBe(0);
  });

  it.each([
    [{ iterations: 0, seed: 1 }, "bootstrap iterations must be a whole number ≥ 1 (got 0)"],
    [{ iterations: 1.5, seed: 1 }, "bootstrap iterations must be a whole number ≥ 1 (got 1.5)"],
    [
      { iterations: Number.NaN, seed: 1 },
      "bootstrap iterations must be a whole number ≥ 1 (got NaN)",
    ],
    [{ iterations: 1, seed: -1 }, "bootstrap seed must be an unsigned 32-bit integer (got -1)"],
    [
      { iterations: 1, seed: 2 ** 32 },
      "bootstrap seed must be an unsigned 32-bit integer (got 4294967296)",
    ],
    [{ iterations: 1, seed: 0.5 }, "bootstrap seed must be an unsigned 32-bit integer (got 0.5)"],
  ])("refuses %o", (options, message) => {
    expect(() => forEachResample(3, options, () => {})).toThrow(new RangeError(message));
  });
});

describe("bootstrap replicates", () => {
  it("match the mean of each resample, whichever way they are computed", () => {
    const values = [0.5, 2, 3.25, 7, 1];
    const options = { iterations: 20, seed: 3 };
    const expected: number[] = [];
    forEachResample(values.length, options, (indices) =>
      expected.push(mean(Array.from(indices, (i) => values[i] as number))),
    );
    expect(bootstrapMeans(values, options)).toEqual(expected);
    expect(bootstrapReplicates(values, mean, options)).toEqual(expected);
  });

  it("leave out resamples whose statistic has no finite value", () => {
    const replicates = bootstrapReplicates(
      [0, 1],
      (r) => (r[0] === 0 ? null : 1 / (r[1] as number)),
      {
        iterations: 200,
        seed: 5,
      },
    );
    expect(replicates.length).toBeGreaterThan(0);
    expect(replicates.length).toBeLessThan(200);
    expect(replicates.every(Number.isFinite)).toBe(true);
  });

  it("give the mean a bootstrap stderr of sqrt((n - 1) / n) times its closed form", () => {
    // The bootstrap's variance of a mean is the plug-in variance over n: the closed form with ddof 0.
    const values = Array.from({ length: 50 }, (_, i) => (i * 7) % 11);
    const closed = (meanStderr(values) as number) * Math.sqrt(49 / 50);
    const stderr = bootstrapStderr(bootstrapMeans(values, { iterations: 20_000, seed: 8 }));
    // 20,000 resamples: Monte Carlo error about 0.5%.
    expect(Math.abs((stderr as number) / closed - 1)).toBeLessThan(0.02);
  });
});

describe("percentileInterval", () => {
  it.each([
    // numpy.percentile(np.arange(1, 11), [2.5, 97.5]) = [1.225, 9.775]
    {
      replicates: [10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
      level: 0.95,
      interval: { low: 1.225, high: 9.775 },
    },
    { replicates: [4, 1, 3, 2, 5], level: 0.5, interval: { low: 2, high: 4 } },
    { replicates: [0.3], level: 0.95, interval: { low: 0.3, high: 0.3 } },
    { replicates: [], level: 0.95, interval: null },
  ])("$replicates at $level → $interval", ({ replicates, level, interval }) => {
    const result = percentileInterval(replicates, level);
    if (interval === null) expect(result).toBeNull();
    else {
      expect(result?.low).toBeCloseTo(interval.low, 12);
      expect(result?.high).toBeCloseTo(interval.high, 12);
    }
  });
});

describe("bootstrapStderr", () => {
  it.each([
    { replicates: [], stderr: null },
    { replicates: [1], stderr: null },
    { replicates: [1, 0], stderr: Math.sqrt(0.5) },
    { replicates: [2, 2, 2], stderr: 0 },
  ])("$replicates → $stderr (sample std, ddof 1)", ({ replicates, stderr }) => {
    if (stderr === null) expect(bootstrapStderr(replicates)).toBeNull();
    else expect(bootstrapStderr(replicates)).toBeCloseTo(stderr, 12);
  });
});
