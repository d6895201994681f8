import { describe, expect, it } from "vitest";
import { arrivalTimes, gammaDraw, sweepRates } from "./arrivals.ts";
import { mulberry32 } from "./random.ts";

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const variance = (xs: number[]) => {
  const m = mean(xs);
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
};
const gaps = (times: number[]) => times.slice(1).map((t, i) => t - (times[i] as number));

describe("arrival schedules (GuideLLM's rate types, vLLM's burstiness)", () => {
  it("constant: evenly spaced at 1/rate, up to the count or the duration", () => {
    expect(arrivalTimes({ type: "constant", rate: 4 }, { count: 5 })).toEqual([
      0, 250, 500, 750, 1000,
    ]);
    expect(arrivalTimes({ type: "constant", rate: 4 }, { untilMs: 600 })).toEqual([0, 250, 500]);
  });

  it("poisson: the same seed gives the same schedule; the mean gap is 1/rate", () => {
    const profile = { type: "poisson" as const, rate: 10, seed: 7 };
    const a = arrivalTimes(profile, { count: 20_000 });
    expect(arrivalTimes(profile, { count: 20_000 })).toEqual(a);
    expect(arrivalTimes({ ...profile, seed: 8 }, { count: 20_000 })).not.toEqual(a);
    // Exponential gaps: mean 100 ms and standard deviation 100 ms (20,000 seeded draws).
    expect(mean(gaps(a))).toBeCloseTo(100, -1);
    expect(Math.sqrt(variance(gaps(a)))).toBeCloseTo(100, -1);
  });

  it("burstiness changes the spread of the gaps, never their mean (vLLM: gamma with that shape)", () => {
    for (const burstiness of [0.5, 2]) {
      const g = gaps(
        arrivalTimes({ type: "poisson", rate: 10, seed: 3, burstiness }, { count: 20_000 }),
      );
      expect(mean(g)).toBeCloseTo(100, -1);
      // Gamma(k, θ = 100/k): variance k·θ² = 100² / k (within 10% over 20,000 seeded draws).
      expect(Math.abs((variance(g) * burstiness) / 100 ** 2 - 1)).toBeLessThan(0.1);
    }
  });

  it("draws Gamma(k, 1) with mean k and variance k (Marsaglia–Tsang)", () => {
    const random = mulberry32(11);
    for (const k of [0.3, 1, 4.5]) {
      const draws = Array.from({ length: 40_000 }, () => gammaDraw(random, k));
      expect(mean(draws) / k).toBeCloseTo(1, 1);
      expect(variance(draws) / k).toBeCloseTo(1, 1);
    }
  });

  it("refuses a schedule without an end, and a rate that is not positive", () => {
    expect(() => arrivalTimes({ type: "constant", rate: 1 }, {})).toThrow(/count or a duration/);
    expect(() => arrivalTimes({ type: "constant", rate: 0 }, { count: 1 })).toThrow(/not above 0/);
  });

  it("sweeps constant rates strictly between the synchronous and the throughput rate", () => {
    expect(sweepRates(1, 5, 3)).toEqual([2, 3, 4]);
    expect(sweepRates(5, 1, 1)).toEqual([3]);
  });
});
