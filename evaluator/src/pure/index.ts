export {
  bootstrapStderr,
  defaultIterations,
  type Interval,
  percentileInterval,
} from "./bootstrap.ts";
export {
  type BradleyTerryFit,
  type BradleyTerryOptions,
  bradleyTerry,
  comparisonGroups,
  type PairCounts,
  type PlayerRating,
} from "./bradley-terry.ts";
export {
  type Comparison,
  type ComparisonRow,
  comparabilityProblems,
  compareRuns,
} from "./compare-runs.ts";
export { type ComparedSample, comparisonsOf } from "./comparisons.ts";
export { closest, editDistance, unknownIdMessage } from "./did-you-mean.ts";
export { compileFilters, type FilterStep, filterIds } from "./filters.ts";
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
export { comparePaired, mcnemarExact, type PairedComparison } from "./paired.ts";
export { mulberry32, seedFrom } from "./random.ts";
export { type ScoredItem, type ScoreRow, score, type TaskMetrics } from "./score.ts";
export { argmax, mean, meanStderr, sampleStddev } from "./stats.ts";
