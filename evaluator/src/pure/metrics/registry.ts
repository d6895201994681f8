import { acc } from "./acc.ts";
import { accNorm } from "./acc-norm.ts";

import type { AnyMetric } from "./types.ts";

export type {
  Aggregate,
  Aggregation,
  AnyMetric,
  Json,
  Metric,
  MultipleChoiceOutcome,
} from "./types.ts";

export const metrics = {
  acc,
  acc_norm: accNorm,
} as const satisfies Record<string, AnyMetric>;

export type MetricId = keyof typeof metrics;

export const metricIds = Object.keys(metrics) as MetricId[];

export function isMetricId(id: string): id is MetricId {
  return Object.hasOwn(metrics, id);
}
