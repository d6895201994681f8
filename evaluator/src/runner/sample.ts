import type { Json } from "../pure/metrics/types.ts";
import type { JsonObject } from "../tasks/types.ts";
import type { PlannedTask } from "./plan.ts";

/**
 * One line of the samples file (and of the journal): the item's place, its status, one score per
 * metric when it ran, its error when it failed, and what its task type keeps of request and outcome.
 */
export type SampleRecord = {
  task: string;
  index: number;
  status: "ok" | "error";
  scores?: { [metric: string]: Json };
  error?: { code: string; message: string };
} & JsonObject;

/**
 * What a journaled sample must be to count for this plan: an item of the plan, once, with a
 * valid score for every metric of its task (or an error). Used on every journal line.
 */
export function sampleCheck(
  tasks: readonly PlannedTask[],
): (sample: unknown) => string | undefined {
  const byId = new Map(tasks.map((t) => [t.task.id, t]));
  return (value) => {
    if (value === null || typeof value !== "object" || Array.isArray(value))
      return "holds no sample object";
    const sample = value as Partial<SampleRecord>;
    const planned = typeof sample.task === "string" ? byId.get(sample.task) : undefined;
    if (!planned) return `names task ${JSON.stringify(sample.task)}, which this run does not have`;
    if (!Number.isInteger(sample.index) || !planned.indices.has(sample.index as number))
      return `names item ${JSON.stringify(sample.index)} of task ${planned.task.id}, which this run does not evaluate`;
    if (sample.status === "error") {
      const error = sample.error;
      return typeof error?.code === "string" && typeof error.message === "string"
        ? undefined
        : "is a failed item without an error code and message";
    }
    if (sample.status !== "ok")
      return `has status ${JSON.stringify(sample.status)} (expected ok or error)`;
    for (const metric of planned.task.metrics) {
      if (!metric.isItem(sample.scores?.[metric.id]))
        return `has no valid ${metric.id} score for item ${planned.task.id}#${sample.index}`;
    }
    return undefined;
  };
}
