import type { Capability, LoadedModel } from "../backends/types.ts";
import type { Task } from "../generated/suite.ts";

/** One record turned into a request, ready to run. */
export interface PreparedItem {
  task: string;
  /** Position of the record in the dataset file (0-based). */
  index: number;
  request: unknown;
}

/** The per-item record written to the samples file. `scores` holds one number per metric. */
export interface Sample {
  task: string;
  index: number;
  status: "ok" | "error";
  scores: Record<string, number>;
  error?: { code: string; message: string };
  [detail: string]: unknown;
}

export interface TaskType {
  /** Backend capabilities the task needs. */
  requires: readonly Capability[];
  /** Turns dataset records into items; throws naming the record on bad data. */
  prepare(
    task: Task,
    records: readonly Record<string, unknown>[],
    source: { file: string; path: string },
  ): PreparedItem[];
  /** Runs one item on a model and scores it with the task's metrics. */
  run(item: PreparedItem, task: Task, model: LoadedModel, signal?: AbortSignal): Promise<Sample>;
}
