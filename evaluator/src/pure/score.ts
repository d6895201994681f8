import type { AnyMetric, Json } from "./metrics/types.ts";

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
  /** Items scored. */
  n: number;
  /** Items that failed: recorded in the samples, excluded from the figure. */
  errors: number;
  higherIsBetter: boolean;
  aggregation: AnyMetric["aggregation"];
}

/**
 * The score stage: aggregates each task's item scores per metric. Failed items are counted and
 * excluded, whatever the metric's direction (a failure scored as 0 would look perfect on a
 * lower-is-better metric). Pure, so `bench merge` and the site can run it on samples too.
 */
export function score(tasks: readonly TaskMetrics[], items: readonly ScoredItem[]): ScoreRow[] {
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
      rows.push({
        task: task.id,
        metric: metric.id,
        ...metric.aggregate(values),
        n: ok.length,
        errors: mine.length - ok.length,
        higherIsBetter: metric.higherIsBetter,
        aggregation: metric.aggregation,
      });
    }
  }
  return rows;
}
