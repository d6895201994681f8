import { describe, expect, it } from "vitest";
import {
  figureCatalogue,
  meetsSlo,
  percentile,
  type RequestTiming,
  requestFigures,
  runFigures,
  summarize,
} from "./perf.ts";

describe("percentiles as numpy computes them (np.percentile, method 'linear', which vLLM uses)", () => {
  // Expected values printed by numpy 1.x: np.percentile([15, 20, 35, 40, 50], p).
  it.each([
    [0, 15],
    [25, 20],
    [50, 35],
    [90, 46],
    [95, 48],
    [99, 49.6],
    [100, 50],
  ])("p%d of [15, 20, 35, 40, 50] is %d", (p, expected) => {
    expect(percentile([50, 15, 40, 20, 35], p)).toBeCloseTo(expected, 12);
  });

  it("interpolates between ranks: [1, 2, 3, 4] gives p50 2.5, p90 3.7, p99 3.97", () => {
    expect([50, 90, 99].map((p) => percentile([4, 3, 2, 1], p))).toEqual([
      2.5,
      expect.closeTo(3.7, 12),
      expect.closeTo(3.97, 12),
    ]);
  });

  it("has no percentile of nothing, and refuses p outside 0..100", () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(summarize([])).toBeUndefined();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

/** A request sent at `start` whose chunks arrive at `at` (ms), one token each unless said. */
const timing = (
  start: number,
  at: number[],
  extra: Partial<RequestTiming> = {},
): RequestTiming => ({
  startMs: start,
  chunkAtMs: at,
  endMs: at.at(-1) ?? start,
  promptTokens: 10,
  outputTokens: at.length,
  ok: true,
  ...extra,
});

describe("per-request figures (vLLM serve.py and endpoint_request_func.py), worked by hand", () => {
  it("TTFT, ITL per chunk gap, TPOT = (e2e − TTFT) / (tokens − 1)", () => {
    // Sent at 100; tokens at 150, 170, 200, 210: TTFT 50, gaps 20, 30, 10; e2e 110;
    // TPOT (110 − 50) / 3 = 20.
    expect(requestFigures(timing(100, [150, 170, 200, 210]))).toEqual({
      ttftMs: 50,
      tpotMs: 20,
      e2eMs: 110,
      itlMs: [20, 30, 10],
    });
  });

  it("a chunk of several tokens is one ITL gap; TPOT still divides by the tokens", () => {
    const t = timing(0, [40, 100], { outputTokens: 4 });
    // Chunks at 40 (1 token) and 100 (3 tokens): one gap of 60; TPOT (100 − 40) / 3 = 20.
    expect(requestFigures(t)).toEqual({ ttftMs: 40, tpotMs: 20, e2eMs: 100, itlMs: [60] });
  });

  it("a one-token answer has no TPOT and no ITL", () => {
    expect(requestFigures(timing(0, [30]))).toEqual({ ttftMs: 30, e2eMs: 30, itlMs: [] });
  });
});

describe("run figures and goodput (vLLM --goodput, DistServe), worked by hand", () => {
  const timings = [
    timing(0, [100, 120, 140, 160]), // TTFT 100, TPOT 20, e2e 160
    timing(0, [300, 350, 400, 450]), // TTFT 300, TPOT 50, e2e 450
    timing(50, [150, 160, 170, 180]), // TTFT 100, TPOT 10, e2e 130
    { ...timing(0, []), ok: false, error: "http_503", outputTokens: 0 },
    { ...timing(0, []), ok: false, error: "timeout", outputTokens: 0 },
    { ...timing(0, []), ok: false, error: "http_503", outputTokens: 0 },
  ];

  it("counts requests, errors by cause and tokens of successful requests only", () => {
    const run = runFigures(timings, 2);
    expect(run.requests).toEqual({
      sent: 6,
      succeeded: 3,
      failed: 3,
      incomplete: 0,
      errors: { http_503: 2, timeout: 1 },
    });
    expect(run.tokens).toEqual({ prompt: 30, output: 12 });
    expect(run.request_throughput).toBe(1.5);
    expect(run.output_throughput).toBe(6);
    expect(run.total_token_throughput).toBe(21);
    expect(run.ttft_ms).toMatchObject({ count: 3, mean: 500 / 3, p50: 100, max: 300 });
    expect(run.tpot_ms).toMatchObject({ count: 3, mean: 80 / 3, p50: 20, min: 10, max: 50 });
    // ITL pools every gap: 20, 20, 20, 50, 50, 50, 10, 10, 10.
    expect(run.itl_ms).toMatchObject({ count: 9, mean: 80 / 3, p50: 20 });
    expect(run.e2e_latency_ms).toMatchObject({ count: 3, p50: 160, max: 450 });
    // Output tokens per second per request: 4 / 0.16, 4 / 0.45, 4 / 0.13.
    expect(run.output_tokens_per_second_per_request?.max).toBeCloseTo(4 / 0.13, 9);
    expect(run.goodput).toBeUndefined();
  });

  it("goodput counts requests meeting every limit: TTFT ≤ 200 and TPOT ≤ 25 leave 2 of 3", () => {
    const run = runFigures(timings, 2, { ttftMs: 200, tpotMs: 25 });
    expect(run.goodput).toEqual({ value: 1, slo: { ttftMs: 200, tpotMs: 25 }, met: 2 });
    expect(runFigures(timings, 2, { e2eMs: 150 }).goodput?.met).toBe(1);
  });

  it("a limit is met exactly at its value; a one-token request meets any TPOT limit", () => {
    const figures = requestFigures(timing(0, [200]));
    expect(meetsSlo(figures, { ttftMs: 200, tpotMs: 1 })).toBe(true);
    expect(meetsSlo(figures, { ttftMs: 199.9 })).toBe(false);
  });

  it("gives every figure a unit and a direction", () => {
    for (const spec of Object.values(figureCatalogue)) {
      expect(spec.unit.length).toBeGreaterThan(0);
      expect(typeof spec.higherIsBetter).toBe("boolean");
    }
  });
});
