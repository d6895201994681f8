import { describe, expect, it } from "vitest";
import type { ResultDocument } from "../generated/result.ts";
import { performanceDeltas, variantRelation } from "./perf-compare.ts";

const distribution = (p50: number) => ({
  unit: "ms",
  higherIsBetter: false,
  count: 4,
  mean: p50,
  min: p50,
  p50,
  p90: p50,
  p95: p50,
  p99: p50 * 2,
  max: p50 * 2,
});

function doc(id: string, variant: object | undefined, ttft: number, tps: number, rss: number) {
  return {
    model: { id, ...(variant ? { variant } : {}) },
    performance: {
      measured: { tokensPerSecond: tps, peakRssBytes: rss, wallSeconds: 3 },
      notMeasured: [],
      loads: [
        {
          id: "sync-p128-o128",
          latency: { ttft_ms: distribution(ttft) },
          throughput: { output_throughput: { value: tps, unit: "tokens/s", higherIsBetter: true } },
          resources: { measured: { peakRssBytes: rss }, notMeasured: [] },
        },
      ],
    },
  } as unknown as ResultDocument;
}

describe("speed and memory deltas between two results (the quantisation comparison)", () => {
  const f16 = doc(
    "acme/m-f16",
    { baseModel: "acme/m", kind: "quantized", quantization: "F16" },
    20,
    100,
    4e9,
  );
  const q4 = doc(
    "acme/m-q4",
    { baseModel: "acme/m", kind: "quantized", quantization: "Q4_K_M" },
    10,
    250,
    1e9,
  );

  it("puts every figure both measured side by side with b / a", () => {
    const rows = performanceDeltas(f16, q4);
    expect(rows.find((r) => r.figure === "measured.tokensPerSecond")).toMatchObject({
      a: 100,
      b: 250,
      ratio: 2.5,
      higherIsBetter: true,
    });
    expect(rows.find((r) => r.figure === "sync-p128-o128 ttft_ms p50")).toMatchObject({
      a: 20,
      b: 10,
      ratio: 0.5,
      unit: "ms",
    });
    expect(rows.find((r) => r.figure === "sync-p128-o128 peakRssBytes")?.ratio).toBe(0.25);
    // Figures only one result measured are left out.
    expect(rows.some((r) => r.figure === "measured.wallSeconds")).toBe(false);
  });

  it("names how the models relate from their manifests' variant", () => {
    expect(variantRelation(f16, q4)).toBe("siblings of acme/m: F16 (a) and Q4_K_M (b)");
    const base = doc("acme/m", undefined, 20, 100, 4e9);
    expect(variantRelation(base, q4)).toBe("acme/m-q4 is a quantized (Q4_K_M) variant of acme/m");
    expect(variantRelation(base, doc("other/x", undefined, 1, 1, 1))).toBeUndefined();
  });
});
