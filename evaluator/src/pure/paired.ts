import {
  type BootstrapOptions,
  forEachResample,
  type Interval,
  percentileInterval,
} from "./bootstrap.ts";
import type { AnyMetric, Json } from "./metrics/types.ts";

/** `numerator / 2^exponent` as the nearest double (0 below the smallest subnormal). */
function overPowerOfTwo(numerator: bigint, exponent: number): number {
  if (numerator === 0n) return 0;
  const bits = numerator.toString(2).length;
  const shift = Math.max(0, bits - 64);
  const top = Number(numerator >> BigInt(shift));
  // Two steps, so that a representable result never goes through an underflowed power of two.
  return (top / 2 ** (bits - shift)) * 2 ** (bits - exponent);
}

/**
 * P(X ≤ k) for X ~ Binomial(n, 1/2), computed exactly (the sum of C(n, i) for i ≤ k over 2^n in
 * integers) and rounded once to a double.
 */
export function binomialCdfHalf(k: number, n: number): number {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(k))
    throw new RangeError(`binomialCdfHalf needs whole numbers (got k ${k}, n ${n})`);
  if (k < 0) return 0;
  if (k >= n) return 1;
  let term = 1n;
  let sum = 1n;
  for (let i = 0; i < k; i++) {
    term = (term * BigInt(n - i)) / BigInt(i + 1);
    sum += term;
  }
  return overPowerOfTwo(sum, n);
}

/**
 * McNemar's exact test on paired binary outcomes, two-sided: with b items right only in run a and
 * c right only in run b, `min(1, 2 · P(X ≤ min(b, c)))` for X ~ Binomial(b + c, 1/2), as
 * statsmodels' `mcnemar(table, exact=True)`. 1 without discordant pairs.
 */
export function mcnemarExact(b: number, c: number): number {
  return Math.min(1, 2 * binomialCdfHalf(Math.min(b, c), b + c));
}

/**
 * Two-sided p-value of "no difference" from bootstrap replicates of a difference: twice the
 * smaller share of replicates on either side of 0, each count plus one over the replicates plus
 * one (Davison and Hinkley 1997, eq. 4.11), at most 1. It is below 0.05 about when the 95%
 * percentile interval excludes 0; the smallest it can be is 2 / (replicates + 1). Null without
 * replicates.
 */
export function pairedBootstrapP(deltas: readonly number[]): number | null {
  if (deltas.length === 0) return null;
  let atMost = 0;
  let atLeast = 0;
  for (const d of deltas) {
    if (d <= 0) atMost += 1;
    if (d >= 0) atLeast += 1;
  }
  return Math.min(1, (2 * (Math.min(atMost, atLeast) + 1)) / (deltas.length + 1));
}

export type PairedTest = "mcnemar-exact" | "paired-bootstrap";

/** One metric of one task compared between two runs on the same items. */
export interface PairedComparison {
  /** The metric over the paired items of run a; null when none was paired. */
  a: number | null;
  b: number | null;
  /** b − a. */
  delta: number | null;
  /** 95% paired percentile bootstrap interval of delta; null below two pairs. */
  ci95: Interval | null;
  test: PairedTest;
  /** Two-sided p-value of the test; null when it cannot be computed (below two pairs for the bootstrap). */
  p: number | null;
  /** Items paired. */
  n: number;
  /** For McNemar's test: items right only in run a, and only in run b. */
  discordant?: { aOnly: number; bOnly: number };
}

const isBinary = (values: readonly Json[]) => values.every((v) => v === 0 || v === 1);

/**
 * Compares a metric between two runs whose item scores are paired by position (`a[i]` and `b[i]`
 * score the same item). Both are resampled with the same indices (`forEachResample`), and each
 * resample gives `aggregate(b) − aggregate(a)` with the metric's own aggregate: the 95% interval
 * of the difference. Binary mean metrics (every item 0 or 1) are tested with McNemar's exact
 * test, others with the paired bootstrap (`pairedBootstrapP`).
 */
export function comparePaired(
  metric: AnyMetric,
  a: readonly Json[],
  b: readonly Json[],
  options: BootstrapOptions,
): PairedComparison {
  if (a.length !== b.length)
    throw new RangeError(
      `paired runs need as many items on each side (${a.length} and ${b.length})`,
    );
  const n = a.length;
  const valueA = n === 0 ? null : metric.aggregate(a).value;
  const valueB = n === 0 ? null : metric.aggregate(b).value;
  const delta = valueA === null || valueB === null ? null : valueB - valueA;
  const deltas: number[] = [];
  const numeric = metric.aggregation === "mean" && [...a, ...b].every((v) => typeof v === "number");
  if (delta !== null && n >= 2) {
    if (numeric) {
      const x = a as readonly number[];
      const y = b as readonly number[];
      forEachResample(n, options, (indices) => {
        let sumA = 0;
        let sumB = 0;
        for (let i = 0; i < n; i++) {
          const j = indices[i] as number;
          sumA += x[j] as number;
          sumB += y[j] as number;
        }
        deltas.push(sumB / n - sumA / n);
      });
    } else {
      const resampleA = a.slice();
      const resampleB = b.slice();
      forEachResample(n, options, (indices) => {
        for (let i = 0; i < n; i++) {
          const j = indices[i] as number;
          resampleA[i] = a[j] as Json;
          resampleB[i] = b[j] as Json;
        }
        const ra = metric.aggregate(resampleA).value;
        const rb = metric.aggregate(resampleB).value;
        if (ra !== null && rb !== null && Number.isFinite(rb - ra)) deltas.push(rb - ra);
      });
    }
  }
  const base = { a: valueA, b: valueB, delta, ci95: percentileInterval(deltas), n };
  if (numeric && isBinary(a) && isBinary(b)) {
    let aOnly = 0;
    let bOnly = 0;
    for (let i = 0; i < n; i++) {
      if (a[i] === 1 && b[i] === 0) aOnly += 1;
      else if (a[i] === 0 && b[i] === 1) bOnly += 1;
    }
    return {
      ...base,
      test: "mcnemar-exact",
      p: n === 0 ? null : mcnemarExact(aOnly, bOnly),
      discordant: { aOnly, bOnly },
    };
  }
  return { ...base, test: "paired-bootstrap", p: pairedBootstrapP(deltas) };
}
