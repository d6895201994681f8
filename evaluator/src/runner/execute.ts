import type { LoadedModel } from "../backends/types.ts";
import { isBenchError } from "../errors/index.ts";
import type { RunnableItem } from "../tasks/resolve.ts";
import type { TaskRuntime } from "../tasks/types.ts";
import { Journal } from "./journal.ts";
import type { Plan } from "./plan.ts";
import type { Progress } from "./progress.ts";
import type { SampleRecord } from "./sample.ts";

export interface ExecuteInput {
  plan: Plan;
  /** Shown on the progress line: model on suite. */
  label: string;
  model: LoadedModel;
  journal: Journal;
  /** Items in flight at once. */
  parallel: number;
  progress: Progress;
  signal?: AbortSignal;
  /** What tasks may load besides the model (judges). */
  runtime?: TaskRuntime;
  /** Told about each item as it finishes (live metrics), and the progress. */
  onItem?(status: "ok" | "error", seconds: number, done: number, total: number): void;
}

export interface Executed {
  /** Every planned item's record, in plan order (journaled ones included). */
  samples: SampleRecord[];
  /** Items run by this process (not taken from the journal). */
  evaluated: number;
  evalSeconds: number;
}

/** Runs one item; a BenchError fails the item (recorded as data), anything else the run. */
async function runItem(
  item: RunnableItem,
  model: LoadedModel,
  signal?: AbortSignal,
  runtime?: TaskRuntime,
): Promise<SampleRecord> {
  const place = { task: item.task, index: item.index };
  try {
    const { scores, record } = await item.run(model, signal, runtime);
    return { ...place, status: "ok", scores, ...item.detail, ...record };
  } catch (error) {
    if (!isBenchError(error) || signal?.aborted) throw error;
    return {
      ...place,
      status: "error",
      error: { code: error.code, message: error.message },
      ...item.detail,
    };
  }
}

/**
 * The execute stage: runs every planned item the journal does not hold yet, `parallel` at a time,
 * journaling each as it finishes. When the signal aborts, items in flight finish and are journaled;
 * the abort reason is thrown after them.
 */
export async function execute(input: ExecuteInput): Promise<Executed> {
  const { plan, model, journal, progress, signal } = input;
  const pending = plan.tasks.flatMap((t) =>
    t.items.filter((item) => !journal.has(item.task, item.index)),
  );
  const resumed = plan.total - pending.length;
  progress.start(plan.total, input.label, resumed);
  const started = performance.now();
  const queue = pending.values();
  let done = resumed;
  let failed = false;
  // Workers share one iterator; the first failure stops the others before their next item.
  const worker = async () => {
    for (const item of queue) {
      if (failed) return;
      signal?.throwIfAborted();
      const itemStart = performance.now();
      let sample: SampleRecord;
      try {
        sample = await runItem(item, model, signal, input.runtime);
        journal.append(sample);
      } catch (error) {
        failed = true;
        throw error;
      }
      progress.tick(++done);
      input.onItem?.(sample.status, (performance.now() - itemStart) / 1000, done, plan.total);
    }
  };
  const workers = Array.from(
    { length: Math.min(input.parallel, Math.max(pending.length, 1)) },
    worker,
  );
  const failure = (await Promise.allSettled(workers)).find((r) => r.status === "rejected");
  if (failure) throw (failure as PromiseRejectedResult).reason;
  const samples = plan.tasks.flatMap((t) =>
    t.items.map((item) => {
      const sample = journal.done.get(Journal.key(item.task, item.index));
      if (!sample) throw new Error(`item ${item.task}#${item.index} ran but is not journaled`);
      return sample;
    }),
  );
  return { samples, evaluated: pending.length, evalSeconds: (performance.now() - started) / 1000 };
}
