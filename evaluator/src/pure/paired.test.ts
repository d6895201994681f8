import { describe, expect, it } from "vitest";
import { acc } from "./metrics/acc.ts";
import type { Json, Metric } from "./metrics/types.ts";
import { binomialCdfHalf, comparePaired, mcnemarExact, pairedBootstrapP } from "./paired.ts";

const relativeError = (actual: number, expected: number) =>
  expected === 0 ? Math.abs(actual) : Math.abs(actual / expected - 1);

describe("binomialCdfHalf", () => {
  it.each([
    { k: 0, n: 0, p: 1 },
    { k: -1, n: 5, p: 0 },
    { k: 0, n: 5, p: 1 / 32 },
    { k: 2, n: 5, p: 0.5 },
    { k: 5, n: 5, p: 1 },
    // Exact: no sum of doubles, so far tails keep their digits; 2^-1000 is a normal double.
    { k: 0, n: 1000, p: 2 ** -1000 },
    // 2^-1100 is below the smallest subnormal.
    { k: 0, n: 1100, p: 0 },
  ])("P(X ≤ $k), X ~ Binomial($n, 1/2) = $p", ({ k, n, p }) => {
    expect(binomialCdfHalf(k, n)).toBe(p);
  });
});

describe("mcnemarExact", () => {
  // statsmodels.stats.contingency_tables.mcnemar(table, exact=True):
  // pvalue = min(1, 2 * scipy.stats.binom.cdf(min(b, c), b + c, 0.5)). Expected values are
  // Python's exact Fraction of that sum, rounded once; scipy agrees to 1e-13.
  it.each([
    { b: 0, c: 0, p: 1, source: "no discordant pairs" },
    { b: 0, c: 1, p: 1, source: "min(1, 2 · 1/2)" },
    { b: 0, c: 5, p: 0.0625, source: "2 · 1/32" },
    { b: 1, c: 4, p: 0.375, source: "2 · 6/32" },
    { b: 3, c: 3, p: 1, source: "ties cap at 1" },
    {
      b: 86,
      c: 150,
      p: 3.715936139571442e-5,
      source: "Agresti (1990) p. 350, presidential approval, R's mcnemar.test example",
    },
    { b: 121, c: 59, p: 4.434449263755176e-6, source: "Wikipedia's McNemar's test example" },
    { b: 10, c: 30, p: 0.0022214337732293643, source: "Fraction" },
    { b: 3000, c: 3300, p: 0.00016475607669748032, source: "Fraction" },
    { b: 0, c: 1000, p: 2 ** -999, source: "2 · 2^-1000" },
  ])("b $b, c $c → $p ($source)", ({ b, c, p }) => {
    expect(relativeError(mcnemarExact(b, c), p)).toBeLessThan(1e-13);
    expect(mcnemarExact(c, b)).toBe(mcnemarExact(b, c));
  });
});

describe("pairedBootstrapP", () => {
  it.each([
    { deltas: [], p: null },
    { deltas: [0, 0, 0], p: 1 },
    // none at or below 0: 2 · (0 + 1) / (3 + 1)
    { deltas: [1, 1, 1], p: 0.5 },
    { deltas: Array.from({ length: 99 }, () => -0.1), p: 0.02 },
    // one at or below 0, three at or above: 2 · (1 + 1) / 5
    { deltas: [-1, 1, 2, 3], p: 0.8 },
    { deltas: [-1, 0, 1], p: 1 },
  ])("$deltas → $p", ({ deltas, p }) => {
    expect(pairedBootstrapP(deltas)).toBe(p);
  });
});

const latency: Metric<never> = {
  id: "latency",
  description: "seconds",
  higherIsBetter: false,
  aggregation: "mean",
  taskTypes: ["test"],
  score: () => 0,
  isItem: (v): v is number => typeof v === "number",
  aggregate: (items) => ({ value: items.reduce((s, v) => s + v, 0) / items.length, stderr: null }),
};

const ratio: Metric<never, Json> = {
  id: "ratio",
  description: "hits over attempts",
  higherIsBetter: true,
  aggregation: "corpus",
  taskTypes: ["test"],
  score: () => [0, 0],
  isItem: (v): v is Json => Array.isArray(v),
  aggregate: (items) => {
    const pairs = items as (readonly [number, number])[];
    const hits = pairs.reduce((s, p) => s + p[0], 0);
    const total = pairs.reduce((s, p) => s + p[1], 0);
    return { value: total === 0 ? null : hits / total, stderr: null };
  },
};

const options = { iterations: 1000, seed: 1 };

describe("comparePaired", () => {
  it("tests binary item scores with McNemar's exact test on the discordant pairs", () => {
    const a = [1, 1, 0, 0, 1, 0, 1, 1];
    const b = [1, 0, 1, 1, 1, 1, 1, 1];
    const result = comparePaired(acc, a, b, options);
    expect(result).toMatchObject({
      a: 0.625,
      b: 0.875,
      delta: 0.25,
      test: "mcnemar-exact",
      // 1 item right only in a, 3 only in b: 2 · (1 + 4) / 16
      p: 0.625,
      n: 8,
      discordant: { aOnly: 1, bOnly: 3 },
    });
    expect(result.ci95?.low).toBeLessThan(0.25);
    expect(result.ci95?.high).toBeGreaterThan(0.25);
  });

  it("tests other scores with the paired bootstrap", () => {
    const a = [1.5, 2, 2.5, 3, 4];
    const same = comparePaired(latency, a, a, options);
    expect(same).toEqual({
      a: 2.6,
      b: 2.6,
      delta: 0,
      ci95: { low: 0, high: 0 },
      test: "paired-bootstrap",
      p: 1,
      n: 5,
    });
    // Every item one second slower: every resample's difference is 1.
    const slower = comparePaired(
      latency,
      a,
      a.map((v) => v + 1),
      options,
    );
    expect(slower).toMatchObject({ delta: 1, test: "paired-bootstrap", p: 2 / 1001, n: 5 });
    expect(slower.ci95?.low).toBeCloseTo(1, 12);
    expect(slower.ci95?.high).toBeCloseTo(1, 12);
  });

  it("resamples a corpus metric with its own aggregate on both sides at once", () => {
    const a = Array.from({ length: 40 }, (_, i) => [i % 2, 1] as Json);
    const b = Array.from({ length: 40 }, (_, i) => [i % 4 === 0 ? 0 : 1, 1] as Json);
    const result = comparePaired(ratio, a, b, options);
    expect(result).toMatchObject({ a: 0.5, b: 0.75, delta: 0.25, test: "paired-bootstrap" });
    expect(result.p).toBeLessThan(0.05);
    expect(result.ci95?.low).toBeGreaterThan(0);
  });

  it("has no interval below two pairs and no value without pairs", () => {
    expect(comparePaired(latency, [2], [3], options)).toEqual({
      a: 2,
      b: 3,
      delta: 1,
      ci95: null,
      test: "paired-bootstrap",
      p: null,
      n: 1,
    });
    expect(comparePaired(acc, [], [], options)).toEqual({
      a: null,
      b: null,
      delta: null,
      ci95: null,
      test: "mcnemar-exact",
      p: null,
      n: 0,
      discordant: { aOnly: 0, bOnly: 0 },
    });
  });

  it("refuses runs of different lengths", () => {
    expect(() => comparePaired(acc, [1], [1, 0], options)).toThrow(
      "paired runs need as many items on each side (1 and 2)",
    );
  });
});
