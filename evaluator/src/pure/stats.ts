/** Arithmetic mean; NaN for no values. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample standard deviation with Bessel's correction (ddof 1), as lm-evaluation-harness's `sample_stddev`. */
export function sampleStddev(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const mu = mean(values);
  let sum = 0;
  for (const v of values) sum += (v - mu) ** 2;
  return Math.sqrt(sum / (values.length - 1));
}

/**
 * Standard error of the mean, as lm-evaluation-harness's `mean_stderr`:
 * sample_stddev(values) / sqrt(n). Null below two values, where it is undefined.
 */
export function meanStderr(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  return sampleStddev(values) / Math.sqrt(values.length);
}

/** Index of the largest value; the first one on ties (numpy.argmax). NaN never wins. -1 when empty. */
export function argmax(values: readonly number[]): number {
  let best = -1;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (best === -1 && !Number.isNaN(v)) {
      best = i;
      bestValue = v;
    } else if (v > bestValue) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of values sorted ascending, interpolated linearly between the two
 * nearest ranks: numpy.percentile's default (`linear`, Hyndman and Fan's type 7). NaN when empty.
 */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0 || !(q >= 0 && q <= 1)) return Number.NaN;
  const position = q * (sorted.length - 1);
  const lower = Math.floor(position);
  const low = sorted[lower] as number;
  if (lower === position) return low;
  const high = sorted[lower + 1] as number;
  return low + (high - low) * (position - lower);
}
