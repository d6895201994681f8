export { closest, editDistance, unknownIdMessage } from "./did-you-mean.ts";
export type { Metric, MetricId, MultipleChoiceOutcome } from "./metrics/registry.ts";
export { isMetricId, metricIds, metrics } from "./metrics/registry.ts";
export { argmax, mean, meanStderr, sampleStddev } from "./stats.ts";
