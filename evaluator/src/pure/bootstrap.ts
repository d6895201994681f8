import { type generatorName, indexFiller } from "./random.ts";
import { quantileSorted, sampleStddev } from "./stats.ts";

/**
 * Resamples per bootstrap. lm-evaluation-harness draws 100,000 for its corpus-metric stderr;
 * 1,000 keep the score stage fast on 14,000 items × 2 metrics at a Monte Carlo error of about
 * 0.08 standard errors on a 95% percentile bound and 2% on a bootstrap stderr. The seed is fixed,
 * so the same samples always give the same figures.
 */
export const defaultIterations = 1000;

export interface BootstrapOptions {
  /** Resamples drawn, a whole number ≥ 1. */
  iterations: number;
  /** 32-bit seed of the generator (`seedFrom` in random.ts). */
  seed: number;
}

/** What a result records of a bootstrap, so that anyone can draw the same resamples again. */
export interface BootstrapRecord {
  generator: typeof generatorName;
  iterations: number;
  seed: number;
}

/** A confidence interval. */
export interface Interval {
  low: number;
  high: number;
}

function checkOptions({ iterations, seed }: BootstrapOptions): void {
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new RangeError(`bootstrap iterations must be a whole number ≥ 1 (got ${iterations})`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new RangeError(`bootstrap seed must be an unsigned 32-bit integer (got ${seed})`);
}

/**
 * Calls `visit` once per resample with n item indices drawn uniformly with replacement:
 * index i of resample r is `floor(u · n / 2^32)` for the (r·n + i)-th uint32 `u` of mulberry32
 * seeded with `seed`. The array is reused between calls: read it, never keep it.
 */
export function forEachResample(
  n: number,
  options: BootstrapOptions,
  visit: (indices: Uint32Array) => void,
): void {
  checkOptions(options);
  if (n === 0) return;
  const fill = indexFiller(options.seed);
  const indices = new Uint32Array(n);
  for (let r = 0; r < options.iterations; r++) {
    fill(indices, n);
    visit(indices);
  }
}

/**
 * The statistic over each resample of `items` (`forEachResample`), resamples where it has no
 * finite value left out. `statistic` receives a reused array: it must not keep it.
 */
export function bootstrapReplicates<Item>(
  items: readonly Item[],
  statistic: (resample: readonly Item[]) => number | null,
  options: BootstrapOptions,
): number[] {
  const replicates: number[] = [];
  const resample: Item[] = items.slice();
  forEachResample(items.length, options, (indices) => {
    for (let i = 0; i < indices.length; i++) resample[i] = items[indices[i] as number] as Item;
    const value = statistic(resample);
    if (value !== null && Number.isFinite(value)) replicates.push(value);
  });
  return replicates;
}

/** The mean over each resample of `values`: the replicates of a mean metric, without copying. */
export function bootstrapMeans(values: readonly number[], options: BootstrapOptions): number[] {
  const replicates: number[] = [];
  forEachResample(values.length, options, (indices) => {
    let sum = 0;
    for (let i = 0; i < indices.length; i++) sum += values[indices[i] as number] as number;
    replicates.push(sum / indices.length);
  });
  return replicates;
}

/**
 * The percentile interval of replicates: their (1 − level)/2 and (1 + level)/2 quantiles,
 * interpolated as numpy.percentile does. Null without replicates.
 */
export function percentileInterval(replicates: readonly number[], level = 0.95): Interval | null {
  if (replicates.length === 0) return null;
  const sorted = Float64Array.from(replicates).sort();
  const values = Array.from(sorted);
  return {
    low: quantileSorted(values, (1 - level) / 2),
    high: quantileSorted(values, (1 + level) / 2),
  };
}

/**
 * The bootstrap standard error: the sample standard deviation (ddof 1) of the replicates, as
 * lm-evaluation-harness's `bootstrap_stderr`. Null below two replicates.
 */
export function bootstrapStderr(replicates: readonly number[]): number | null {
  return replicates.length < 2 ? null : sampleStddev(replicates);
}
