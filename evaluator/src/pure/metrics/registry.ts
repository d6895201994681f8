import { acc } from "./acc.ts";
import { accNorm } from "./acc-norm.ts";

export type { Metric, MultipleChoiceOutcome } from "./types.ts";

export const metrics = {
  acc,
  acc_norm: accNorm,
} as const;

export type MetricId = keyof typeof metrics;

export const metricIds = Object.keys(metrics) as MetricId[];

export function isMetricId(id: string): id is MetricId {
  return Object.hasOwn(metrics, id);
}
