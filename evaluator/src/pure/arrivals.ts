import { mulberry32, type Random } from "./random.ts";

/**
 * Load profiles with GuideLLM's semantics (guidellm `--rate-type`), and vLLM's bursty arrivals:
 *
 * - synchronous: one request at a time, the next sent when the last one ends;
 * - concurrent: N streams (virtual users), each sending its next request when its last one ends
 *   (a closed loop), after an optional think time;
 * - throughput: as many requests at once as `streams` allows, none waiting (GuideLLM's maximum
 *   throughput run);
 * - constant: an open loop at `rate` requests per second, evenly spaced;
 * - poisson: an open loop whose gaps are drawn from a gamma distribution with shape
 *   `burstiness` (1: exponential gaps, a Poisson process; below 1 burstier, above 1 steadier)
 *   and mean 1/`rate`, as vLLM's `--burstiness`, seeded.
 * - sweep: synchronous, then throughput, then `steps` constant rates evenly spaced between the
 *   two measured rates (GuideLLM's sweep).
 */
export type LoadProfile =
  | { type: "synchronous" }
  | { type: "concurrent"; streams: number; thinkTimeMs?: number }
  | { type: "throughput"; streams: number }
  | { type: "constant"; rate: number }
  | { type: "poisson"; rate: number; seed: number; burstiness?: number }
  | { type: "sweep"; steps: number; streams: number };

/** A uniform draw in (0, 1), never 0 (its log is taken), from a uint32 draw. */
const openUnit = (random: Random) => (random() + 1) / 4294967297;

/** A standard normal draw (Box–Muller) from uniform uint32 draws. */
function normal(random: Random): number {
  const u = openUnit(random);
  const v = openUnit(random);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A Gamma(shape, 1) draw: Marsaglia and Tsang (2000), with the shape < 1 boost. */
export function gammaDraw(random: Random, shape: number): number {
  if (shape < 1) {
    const u = openUnit(random);
    return gammaDraw(random, shape + 1) * u ** (1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = openUnit(random);
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/**
 * The send times (ms from the start) of an open-loop profile's first `count` requests, or those
 * before `untilMs`, whichever ends first. Seeded: the same profile gives the same schedule.
 */
export function arrivalTimes(
  profile: Extract<LoadProfile, { type: "constant" | "poisson" }>,
  limits: { count?: number; untilMs?: number },
): number[] {
  if (!(profile.rate > 0)) throw new RangeError(`rate ${profile.rate} is not above 0`);
  const count = limits.count ?? Number.POSITIVE_INFINITY;
  const until = limits.untilMs ?? Number.POSITIVE_INFINITY;
  if (!Number.isFinite(count) && !Number.isFinite(until)) {
    throw new RangeError("an open-loop schedule needs a request count or a duration");
  }
  const times: number[] = [];
  const meanGap = 1000 / profile.rate;
  if (profile.type === "constant") {
    for (let i = 0; i < count && i * meanGap < until; i++) times.push(i * meanGap);
    return times;
  }
  const shape = profile.burstiness ?? 1;
  if (!(shape > 0)) throw new RangeError(`burstiness ${shape} is not above 0`);
  const random = mulberry32(profile.seed);
  let t = 0;
  while (times.length < count && t < until) {
    times.push(t);
    // Gamma(shape, scale = mean / shape) has the mean gap whatever the burstiness.
    t += gammaDraw(random, shape) * (meanGap / shape);
  }
  return times;
}

/** The constant rates a sweep runs between its synchronous and its throughput rate. */
export function sweepRates(
  synchronousRate: number,
  throughputRate: number,
  steps: number,
): number[] {
  if (steps < 1) return [];
  const low = Math.min(synchronousRate, throughputRate);
  const high = Math.max(synchronousRate, throughputRate);
  // Strictly between the two measured runs: steps + 1 intervals.
  return Array.from({ length: steps }, (_, i) => low + ((high - low) * (i + 1)) / (steps + 1));
}
