import type { BackendInfo, EngineStats } from "../backends/types.ts";
import type { ResultDocument } from "../generated/result.ts";
import { costOrReason, type Pricing } from "../pure/cost.ts";
import type { PerfResult } from "./perf.ts";

export interface RunTimings {
  wallSeconds: number;
  loadSeconds: number;
  evalSeconds: number;
  /** Items evaluated by this process (not those resumed from a journal). */
  itemsEvaluated: number;
  /** Items the run planned, resumed ones included. */
  itemsPlanned?: number;
  engine: EngineStats;
  vram: number | undefined;
  gpu: BackendInfo["gpu"];
  /** The suite's speed runs, when it has any. */
  loads?: readonly PerfResult[];
  /** Whether the model is served (over HTTP) rather than run in this process. */
  served: boolean;
  /** A hosted API's prices (the manifest's backend.pricing). */
  pricing?: Pricing;
}

/** The measured figures of a run, and every figure that was not measured with the reason. */
export function performanceFigures(t: RunTimings): ResultDocument["performance"] {
  const measured: Record<string, number> = {
    wallSeconds: t.wallSeconds,
    loadSeconds: t.loadSeconds,
    evalSeconds: t.evalSeconds,
    itemsEvaluated: t.itemsEvaluated,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  const notMeasured: ResultDocument["performance"]["notMeasured"] = [];
  if (t.itemsEvaluated > 0 && t.evalSeconds > 0) {
    measured.itemsPerSecond = t.itemsEvaluated / t.evalSeconds;
    measured.engineSeconds = t.engine.engineSeconds;
    measured.engineShare = t.engine.engineSeconds / t.evalSeconds;
    measured.tokensEvaluated = t.engine.tokensEvaluated;
    measured.tokensPerSecond = t.engine.tokensEvaluated / t.evalSeconds;
  } else {
    notMeasured.push({
      metric: "itemsPerSecond",
      reason:
        t.itemsPlanned === 0
          ? "the suite has no items (speed runs only)"
          : "every item came from the journal of an earlier, interrupted run",
    });
  }
  if (t.vram !== undefined) measured.peakVramBytes = t.vram;
  else {
    notMeasured.push({
      metric: "peakVramBytes",
      reason: t.gpu.used
        ? "the backend cannot read VRAM use"
        : `no GPU used (${t.gpu.reason ?? "CPU run"})`,
    });
  }
  notMeasured.push({
    metric: "energyJoules",
    reason:
      (t.loads ?? []).length > 0
        ? "measured per speed run, where NVML or RAPL can be read: see performance.loads[].resources"
        : "energy is measured only in speed runs (a suite's perf), with NVML and RAPL",
  });
  const usage = t.engine.usage ?? { promptTokens: 0, outputTokens: 0, requests: 0, unreported: 0 };
  const priced = costOrReason(
    t.served,
    t.pricing,
    usage,
    t.itemsPlanned !== undefined && t.itemsEvaluated < t.itemsPlanned
      ? "part of the items came from the journal of an earlier, interrupted run, whose tokens were not counted"
      : undefined,
  );
  if ("reason" in priced) notMeasured.push({ metric: "cost", reason: priced.reason });
  const loads = t.loads ?? [];
  if (loads.length === 0) {
    notMeasured.push({
      metric: "timeToFirstTokenMs",
      reason: "the suite has no speed run (perf); its tasks are timed as a whole",
    });
  }
  return {
    measured,
    notMeasured,
    ...("cost" in priced ? { cost: priced.cost } : {}),
    ...(loads.length > 0 ? { loads: [...loads] } : {}),
  };
}
