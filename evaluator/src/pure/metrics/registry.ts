import { generateMetrics } from "./generate.ts";
import { judgeMetrics } from "./judge.ts";
import { multipleChoiceMetrics } from "./multiple-choice.ts";
import { codeMetrics } from "./pass-at-k.ts";
import { toxicityMetrics } from "./toxicity.ts";

import type { AnyMetric } from "./types.ts";

export type {
  Aggregate,
  Aggregation,
  AnyMetric,
  GenerateOutcome,
  Json,
  Metric,
  MultipleChoiceOutcome,
} from "./types.ts";

export const metrics = {
  ...multipleChoiceMetrics,
  ...generateMetrics,
  ...codeMetrics,
  ...judgeMetrics,
  ...toxicityMetrics,
} as const satisfies Record<string, AnyMetric>;

export type MetricId = keyof typeof metrics;

export const metricIds = Object.keys(metrics) as MetricId[];

export function isMetricId(id: string): id is MetricId {
  return Object.hasOwn(metrics, id);
}
