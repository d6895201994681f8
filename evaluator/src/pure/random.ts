/**
 * A seeded pseudo-random generator for resampling: mulberry32 (Tommy Ettinger, 2017), a 32-bit
 * state generator built only from 32-bit integer operations (`Math.imul`, shifts, xor), so the
 * same seed gives the same sequence on every platform and JavaScript engine. Not cryptographic;
 * its 2^32 period is far more than a bootstrap needs.
 */
export type Random = () => number;

/** The name results record beside a seed, so that anyone can replay the draws. */
export const generatorName = "mulberry32" as const;

/** A generator of uniform unsigned 32-bit integers from a 32-bit seed. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * A uniform integer in [0, n) from a uint32 draw: `floor(u * n / 2^32)`, exact in doubles for
 * n ≤ 2^21 and within one part in 2^32 of uniform for larger n (a bootstrap never needs more).
 */
export function below(random: Random, n: number): number {
  return Math.floor((random() / 4294967296) * n);
}

/**
 * A 32-bit seed from text: FNV-1a over the UTF-8 bytes of the parts joined by NUL. The score
 * stage seeds each task × metric with `seedFrom(task, metric)`, so the same samples always give
 * the same interval, whatever else the suite holds.
 */
export function seedFrom(...parts: readonly string[]): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(parts.join("\u0000"))) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Fills arrays with uniform integers in [0, n): exactly the draws of `below(mulberry32(seed), n)`
 * called once per element, continuing across calls, without a function call per draw (the
 * bootstrap makes millions).
 */
export function indexFiller(seed: number): (out: Uint32Array, n: number) => void {
  let state = seed >>> 0;
  return (out, n) => {
    const scale = n / 4294967296;
    for (let i = 0; i < out.length; i++) {
      state = (state + 0x6d2b79f5) | 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      // Storing into a Uint32Array truncates, which for these non-negative values is floor.
      out[i] = ((t ^ (t >>> 14)) >>> 0) * scale;
    }
  };
}
