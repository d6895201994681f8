import {
  type BootstrapRecord,
  bootstrapMeans,
  bootstrapReplicates,
  bootstrapStderr,
  defaultIterations,
  type Interval,
  percentileInterval,
} from "./bootstrap.ts";
import type { AnyMetric, Json } from "./metrics/types.ts";
import { generatorName, seedFrom } from "./random.ts";

/** One item's record as the score stage reads it: failed items carry no scores. */
export interface ScoredItem {
  task: string;
  index: number;
  status: "ok" | "error";
  /** One item score per metric id (ok items only). */
  scores?: Readonly<Record<string, Json>>;
}

/** A task's metrics, in the order the suite lists them. */
export interface TaskMetrics {
  id: string;
  metrics: readonly AnyMetric[];
}

/** The figure of one metric on one task, as the result document stores it. */
export interface ScoreRow {
  task: string;
  metric: string;
  /** null when no item could be scored (every item failed, or none was run). */
  value: number | null;
  stderr: number | null;
  /**
   * Where `stderr` came from: the metric's closed form (the mean's sample std / sqrt n), or the
   * bootstrap where the metric has none (corpus metrics); null when `stderr` is.
   */
  stderrMethod: "closed-form" | "bootstrap" | null;
  /** 95% percentile bootstrap interval of `value`; null below two scored items. */
  ci95: Interval | null;
  /** How `ci95` (and a bootstrap `stderr`) were drawn; null when nothing was resampled. */
  bootstrap: BootstrapRecord | null;
  /** Items scored. */
  n: number;
  /** Items that failed: recorded in the samples, excluded from the figure. */
  errors: number;
  higherIsBetter: boolean;
  aggregation: AnyMetric["aggregation"];
  /** Set on a group's row: the tasks it aggregates (see `groupScores`). */
  tasks?: string[];
}

export interface ScoreOptions {
  /** Bootstrap resamples per row (`defaultIterations`, 1,000). */
  iterations?: number;
}

/**
 * The replicates of a metric's figure over resamples of its item scores: the metric's own
 * `aggregate` on each resample, or for a mean the mean itself (the same numbers, without
 * building each resample).
 */
export function metricReplicates(
  metric: AnyMetric,
  items: readonly Json[],
  options: { iterations: number; seed: number },
): number[] {
  if (metric.aggregation === "mean" && items.every((v) => typeof v === "number"))
    return bootstrapMeans(items as readonly number[], options);
  return bootstrapReplicates(items, (resample) => metric.aggregate(resample).value, options);
}

/**
 * The score stage: aggregates each task's item scores per metric. Failed items are counted and
 * excluded, whatever the metric's direction (a failure scored as 0 would look perfect on a
 * lower-is-better metric). Each row gets a 95% percentile bootstrap interval over its scored
 * items, seeded with `seedFrom(task, metric)` so the same samples always give the same interval,
 * and a bootstrap stderr where the metric has no closed form. Pure, so `bench merge` and the site
 * can run it on samples too.
 */
export function score(
  tasks: readonly TaskMetrics[],
  items: readonly ScoredItem[],
  options: ScoreOptions = {},
): ScoreRow[] {
  const iterations = options.iterations ?? defaultIterations;
  const rows: ScoreRow[] = [];
  for (const task of tasks) {
    const mine = items.filter((item) => item.task === task.id);
    const ok = mine.filter((item) => item.status === "ok");
    for (const metric of task.metrics) {
      const values = ok.map((item) => {
        const value = item.scores?.[metric.id];
        if (!metric.isItem(value)) {
          throw new TypeError(
            `item ${task.id}#${item.index} has no valid ${metric.id} score (${JSON.stringify(value)})`,
          );
        }
        return value;
      });
      const { value, stderr } = metric.aggregate(values);
      let spread: Pick<ScoreRow, "stderr" | "stderrMethod" | "ci95" | "bootstrap"> = {
        stderr,
        stderrMethod: stderr === null ? null : "closed-form",
        ci95: null,
        bootstrap: null,
      };
      if (value !== null && values.length >= 2) {
        const bootstrap = {
          generator: generatorName,
          iterations,
          seed: seedFrom(task.id, metric.id),
        };
        const replicates = metricReplicates(metric, values, bootstrap);
        const resampled = stderr === null ? bootstrapStderr(replicates) : null;
        spread = {
          stderr: stderr ?? resampled,
          stderrMethod: stderr !== null ? "closed-form" : resampled !== null ? "bootstrap" : null,
          ci95: percentileInterval(replicates),
          bootstrap,
        };
      }
      rows.push({
        task: task.id,
        metric: metric.id,
        value,
        ...spread,
        n: ok.length,
        errors: mine.length - ok.length,
        higherIsBetter: metric.higherIsBetter,
        aggregation: metric.aggregation,
      });
    }
  }
  return rows;
}
