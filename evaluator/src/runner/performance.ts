import type { BackendInfo, EngineStats } from "../backends/types.ts";
import type { ResultDocument } from "../generated/result.ts";

export interface RunTimings {
  wallSeconds: number;
  loadSeconds: number;
  evalSeconds: number;
  /** Items evaluated by this process (not those resumed from a journal). */
  itemsEvaluated: number;
  engine: EngineStats;
  vram: number | undefined;
  gpu: BackendInfo["gpu"];
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
      reason: "every item came from the journal of an earlier, interrupted run",
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
    reason: "no power sensor is read yet (NVML and RAPL readers are not implemented)",
  });
  notMeasured.push({
    metric: "timeToFirstTokenMs",
    reason: "multiple-choice scoring generates no tokens",
  });
  return { measured, notMeasured };
}
