import type { ResultDocument } from "../generated/result.ts";
import { below, mulberry32, seedFrom } from "../pure/random.ts";
import { canonicalize, sha256Hex } from "../result/canonical.ts";
import type { ResolvedTask, RunnableItem } from "../tasks/resolve.ts";

/** A slice of the items for one machine: item `i` of each task goes to shard `i mod count`. */
export interface Shard {
  index: number;
  count: number;
}

export interface PlanInput {
  manifestSha256: string;
  /** Absent for a served model. */
  weightsSha256?: string;
  suiteSha256: string;
  evaluatorVersion: string;
  tasks: readonly {
    task: ResolvedTask;
    datasetSha256: string;
    items: readonly RunnableItem[];
  }[];
  /** Every setting that can change a number: it keys the journal. */
  config: ResultDocument["config"];
  limit?: number;
  shard?: Shard;
  /** The suite's quick subset: `items` of each task, drawn with `seed` (before limit and shard). */
  subset?: { items: number; seed: number };
}

export interface PlannedTask {
  task: ResolvedTask;
  datasetSha256: string;
  /** Items in the dataset. */
  itemsTotal: number;
  /** The items this run evaluates, in dataset order. */
  items: readonly RunnableItem[];
  indices: ReadonlySet<number>;
}

export interface Plan {
  /** sha256 over everything that decides the run's numbers: names its journal. */
  runKey: string;
  tasks: readonly PlannedTask[];
  /** Items this run evaluates, over all tasks. */
  total: number;
  /** False when --limit or a shard leaves items out. */
  complete: boolean;
}

/**
 * The plan stage (pure): which items run — the first `limit` of each task, then the shard's
 * share — and the run key, which changes with any input, setting or item choice that can
 * change a result, so a journal is only ever resumed by the run that wrote it.
 */
export function plan(input: PlanInput): Plan {
  const { limit, shard } = input;
  if (
    shard &&
    !(
      Number.isInteger(shard.count) &&
      Number.isInteger(shard.index) &&
      shard.count >= 1 &&
      shard.index >= 0 &&
      shard.index < shard.count
    )
  ) {
    throw new RangeError(
      `shard ${shard.index}/${shard.count} is not a shard (expected integers 0 <= index < count)`,
    );
  }
  const { subset } = input;
  const tasks = input.tasks.map(({ task, datasetSha256, items }): PlannedTask => {
    // Seeded by the dataset, so tasks over the same records (GSM8K's two filters) share a subset.
    const drawn = subset ? seededSubset(items, subset.items, subset.seed, datasetSha256) : items;
    const limited = limit === undefined ? drawn : drawn.slice(0, limit);
    const chosen = shard ? limited.filter((_, i) => i % shard.count === shard.index) : limited;
    return {
      task,
      datasetSha256,
      itemsTotal: items.length,
      items: chosen,
      indices: new Set(chosen.map((item) => item.index)),
    };
  });
  const runKey = sha256Hex(
    canonicalize({
      manifest: input.manifestSha256,
      weights: input.weightsSha256 ?? null,
      suite: input.suiteSha256,
      evaluator: input.evaluatorVersion,
      config: input.config,
      shard: shard ?? null,
      subset: subset ?? null,
      tasks: tasks.map((t) => ({
        id: t.task.id,
        dataset: t.datasetSha256,
        prompt: t.task.promptSha256,
        items: t.items.map((item) => item.index),
      })),
    }),
  );
  return {
    runKey,
    tasks,
    total: tasks.reduce((n, t) => n + t.items.length, 0),
    complete:
      shard === undefined &&
      subset === undefined &&
      tasks.every((t) => t.items.length === t.itemsTotal),
  };
}

/**
 * `n` of `items`, the same ones for the same seed and dataset whatever else the suite holds: a
 * partial Fisher-Yates shuffle with mulberry32 seeded from the seed and the dataset's sha256, kept
 * in dataset order. All items when there are no more than `n`.
 */
function seededSubset<T>(
  items: readonly T[],
  n: number,
  seed: number,
  dataset: string,
): readonly T[] {
  if (items.length <= n) return items;
  const random = mulberry32(seedFrom(String(seed), dataset));
  const order = items.map((_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + below(random, order.length - i);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order
    .slice(0, n)
    .sort((a, b) => a - b)
    .map((i) => items[i] as T);
}
