import { defaultIterations } from "./bootstrap.ts";
import { isMetricId, metrics } from "./metrics/registry.ts";
import type { Json } from "./metrics/types.ts";
import { comparePaired, type PairedComparison } from "./paired.ts";
import { generatorName, seedFrom } from "./random.ts";
import type { ScoredItem } from "./score.ts";

/** What a comparison reads of one result: its suite, which rows it scored, and its samples. */
export interface ComparedRun {
  suite: {
    id: string;
    version: string;
    tasks: readonly { id: string; datasetSha256: string; promptSha256: string }[];
  };
  scores: readonly { task: string; metric: string; higherIsBetter: boolean }[];
  samples: readonly ScoredItem[];
}

/** One task × metric of a comparison. */
export interface ComparisonRow extends PairedComparison {
  task: string;
  metric: string;
  higherIsBetter: boolean;
  /** Items left out of the pairing because they failed in run a, in run b, or in both. */
  excluded: number;
  /** Seed of the paired resamples (`seedFrom(task, metric)`). */
  seed: number;
}

export interface Comparison {
  bootstrap: { generator: typeof generatorName; iterations: number };
  rows: ComparisonRow[];
}

function short(digest: string): string {
  return `${digest.slice(0, 12)}…`;
}

function indicesOf(samples: readonly ScoredItem[], task: string): number[] {
  return samples
    .filter((s) => s.task === task)
    .map((s) => s.index)
    .sort((x, y) => x - y);
}

function countOf(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/**
 * Why two runs cannot be compared item by item: another suite or suite version, other tasks, or
 * a task whose dataset, prompt digest or evaluated item indices differ. Empty when they can.
 */
export function comparabilityProblems(a: ComparedRun, b: ComparedRun): string[] {
  if (a.suite.id !== b.suite.id)
    return [`suite ${JSON.stringify(a.suite.id)} vs ${JSON.stringify(b.suite.id)}`];
  const problems: string[] = [];
  if (a.suite.version !== b.suite.version)
    problems.push(
      `suite version ${JSON.stringify(a.suite.version)} vs ${JSON.stringify(b.suite.version)}`,
    );
  const tasksB = new Map(b.suite.tasks.map((t) => [t.id, t]));
  const idsA = new Set(a.suite.tasks.map((t) => t.id));
  const onlyA = a.suite.tasks.filter((t) => !tasksB.has(t.id)).map((t) => t.id);
  const onlyB = b.suite.tasks.filter((t) => !idsA.has(t.id)).map((t) => t.id);
  if (onlyA.length > 0) problems.push(`tasks only in a: ${onlyA.join(", ")}`);
  if (onlyB.length > 0) problems.push(`tasks only in b: ${onlyB.join(", ")}`);
  for (const task of a.suite.tasks) {
    const other = tasksB.get(task.id);
    if (!other) continue;
    if (task.datasetSha256 !== other.datasetSha256)
      problems.push(
        `task ${task.id}: dataset sha256 ${short(task.datasetSha256)} vs ${short(other.datasetSha256)}`,
      );
    if (task.promptSha256 !== other.promptSha256)
      problems.push(
        `task ${task.id}: prompt sha256 ${short(task.promptSha256)} vs ${short(other.promptSha256)}`,
      );
    const inA = indicesOf(a.samples, task.id);
    const inB = new Set(indicesOf(b.samples, task.id));
    const setA = new Set(inA);
    const missingInB = inA.filter((i) => !inB.has(i)).length;
    const missingInA = [...inB].filter((i) => !setA.has(i)).length;
    if (missingInA > 0 || missingInB > 0)
      problems.push(
        `task ${task.id}: item indices differ (${countOf(missingInB, "item")} only in a, ${countOf(missingInA, "item")} only in b)`,
      );
  }
  return problems;
}

function okScores(run: ComparedRun, task: string): Map<number, ScoredItem> {
  const ok = new Map<number, ScoredItem>();
  for (const s of run.samples) if (s.task === task && s.status === "ok") ok.set(s.index, s);
  return ok;
}

/**
 * Compares every task × metric that both runs scored, in run a's order, on the items that ran in
 * both (`comparePaired`), each resampled with the seed `seedFrom(task, metric)`. Call
 * `comparabilityProblems` first. Throws a TypeError naming the item when a stored score is not a
 * valid item score of its metric, and when a metric is unknown to this evaluator.
 */
export function compareRuns(
  a: ComparedRun,
  b: ComparedRun,
  options: { iterations?: number } = {},
): Comparison {
  const iterations = options.iterations ?? defaultIterations;
  const inB = new Set(b.scores.map((s) => `${s.task}\u0000${s.metric}`));
  const rows: ComparisonRow[] = [];
  for (const row of a.scores) {
    if (!inB.has(`${row.task}\u0000${row.metric}`)) continue;
    if (!isMetricId(row.metric))
      throw new TypeError(`metric ${JSON.stringify(row.metric)} is unknown to this evaluator`);
    const metric = metrics[row.metric];
    const okA = okScores(a, row.task);
    const okB = okScores(b, row.task);
    const all = new Set([...indicesOf(a.samples, row.task), ...indicesOf(b.samples, row.task)]);
    const paired = [...okA.keys()].filter((i) => okB.has(i)).sort((x, y) => x - y);
    const itemScore = (item: ScoredItem, run: string): Json => {
      const value = item.scores?.[metric.id];
      if (!metric.isItem(value))
        throw new TypeError(
          `item ${row.task}#${item.index} of run ${run} has no valid ${metric.id} score (${JSON.stringify(value)})`,
        );
      return value;
    };
    const seed = seedFrom(row.task, row.metric);
    const compared = comparePaired(
      metric,
      paired.map((i) => itemScore(okA.get(i) as ScoredItem, "a")),
      paired.map((i) => itemScore(okB.get(i) as ScoredItem, "b")),
      { iterations, seed },
    );
    rows.push({
      task: row.task,
      metric: row.metric,
      higherIsBetter: row.higherIsBetter,
      ...compared,
      excluded: all.size - paired.length,
      seed,
    });
  }
  return { bootstrap: { generator: generatorName, iterations }, rows };
}
