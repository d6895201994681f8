export { closest, editDistance, unknownIdMessage } from "./did-you-mean.ts";
export type {
  Aggregate,
  Aggregation,
  AnyMetric,
  Json,
  Metric,
  MetricId,
  MultipleChoiceOutcome,
} from "./metrics/registry.ts";
export { isMetricId, metricIds, metrics } from "./metrics/registry.ts";
export { type ScoredItem, type ScoreRow, score, type TaskMetrics } from "./score.ts";
export { argmax, mean, meanStderr, sampleStddev } from "./stats.ts";
