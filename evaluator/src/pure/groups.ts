import { bootstrapMeans, defaultIterations, percentileInterval } from "./bootstrap.ts";
import { generatorName, seedFrom } from "./random.ts";
import type { ScoredItem, ScoreRow } from "./score.ts";

/** A named set of a suite's tasks whose scores are also reported together (MMLU's STEM, …). */
export interface TaskGroup {
  id: string;
  tasks: readonly string[];
}

/**
 * lm-evaluation-harness's `pooled_sample_stderr` (lm_eval/api/metrics.py): the standard error of a
 * size-weighted group mean from its subtasks' standard errors,
 * `sqrt(Σ (n_i - 1) · se_i² · n_i / (Σ n_i - k) / Σ n_i)`. Null for fewer than two items a task.
 */
export function pooledSampleStderr(
  stderrs: readonly number[],
  sizes: readonly number[],
): number | null {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (stderrs.length === 0 || total - sizes.length <= 0) return null;
  let pooled = 0;
  for (const [i, size] of sizes.entries())
    pooled += (size - 1) * (stderrs[i] as number) ** 2 * size;
  return Math.sqrt(pooled / (total - sizes.length) / total);
}

/**
 * Group rows, as lm-evaluation-harness aggregates a group with `weight_by_size: true`: per mean
 * metric that every member task reports, the value is the members' values weighted by their
 * scored items (the mean over all the group's items), the stderr `pooledSampleStderr`, and the 95%
 * interval a bootstrap of the pooled item scores. Metrics of other aggregations are not grouped.
 */
export function groupScores(
  groups: readonly TaskGroup[],
  rows: readonly ScoreRow[],
  items: readonly ScoredItem[],
  options: { iterations?: number } = {},
): ScoreRow[] {
  const iterations = options.iterations ?? defaultIterations;
  const out: ScoreRow[] = [];
  for (const group of groups) {
    const members = rows.filter((row) => group.tasks.includes(row.task));
    const metricIds = [...new Set(members.map((row) => row.metric))].filter((metric) =>
      group.tasks.every((task) =>
        members.some((r) => r.task === task && r.metric === metric && r.aggregation === "mean"),
      ),
    );
    for (const metric of metricIds) {
      const parts = members.filter((row) => row.metric === metric);
      const scored = parts.filter((row) => row.value !== null && row.n > 0);
      const n = scored.reduce((sum, row) => sum + row.n, 0);
      const value =
        n === 0 ? null : scored.reduce((sum, row) => sum + (row.value as number) * row.n, 0) / n;
      const withStderr = scored.filter((row) => row.stderr !== null);
      const stderr =
        value === null || withStderr.length !== scored.length
          ? null
          : pooledSampleStderr(
              withStderr.map((row) => row.stderr as number),
              withStderr.map((row) => row.n),
            );
      const pooled = items
        .filter((item) => item.status === "ok" && group.tasks.includes(item.task))
        .map((item) => item.scores?.[metric])
        .filter((v): v is number => typeof v === "number");
      const bootstrap = { generator: generatorName, iterations, seed: seedFrom(group.id, metric) };
      const resampled = value !== null && pooled.length >= 2;
      const first = parts[0] as ScoreRow;
      out.push({
        task: group.id,
        metric,
        value,
        stderr,
        stderrMethod: stderr === null ? null : "closed-form",
        ci95: resampled ? percentileInterval(bootstrapMeans(pooled, bootstrap)) : null,
        bootstrap: resampled ? bootstrap : null,
        n,
        errors: parts.reduce((sum, row) => sum + row.errors, 0),
        higherIsBetter: first.higherIsBetter,
        aggregation: "mean",
        tasks: [...group.tasks],
      });
    }
  }
  return out;
}
