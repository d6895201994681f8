import { BenchError } from "../errors/index.ts";
import type { Fewshot } from "../generated/suite.ts";
import { below, mulberry32, seedFrom } from "../pure/random.ts";
import type { PrepareContext, TaskSource } from "./types.ts";

/** lm-evaluation-harness's default `fewshot_delimiter`. */
export const defaultFewshotDelimiter = "\n\n";

/**
 * Which example records item `index` gets, as lm-evaluation-harness's samplers choose them:
 * `first_n` takes the first n, `random` draws n with mulberry32 seeded from the seed and the
 * item's index (so shards and resumes agree; not Python's `random`, so not lm-eval's draws).
 * An item is never its own example when examples come from its own records.
 */
export function exampleSelector(
  fewshot: Fewshot | undefined,
  source: TaskSource,
): (index: number, context: PrepareContext) => number[] {
  const field = fewshot?.dataset ? "fewshot.dataset" : "dataset";
  return (index, context) => {
    if (!fewshot) return [];
    const pool = context.examples.length;
    const usable = context.examplesAreItems ? pool - 1 : pool;
    if (usable < fewshot.n) {
      throw new BenchError(
        "E_DATASET",
        `${source.file}: ${source.path}.fewshot.n: ${fewshot.n} examples per item, but the ${field} holds ${usable} usable record(s)`,
        { hint: "lower fewshot.n or point fewshot.dataset at a larger split" },
      );
    }
    const skip = (i: number) => context.examplesAreItems && i === index;
    if ((fewshot.sampler ?? "first_n") === "first_n") {
      const chosen: number[] = [];
      for (let i = 0; chosen.length < fewshot.n; i++) if (!skip(i)) chosen.push(i);
      return chosen;
    }
    // A partial Fisher-Yates over the pool, seeded per item.
    const random = mulberry32(seedFrom(String(fewshot.seed ?? 1234), String(index)));
    const order = Array.from({ length: pool }, (_, i) => i).filter((i) => !skip(i));
    for (let i = 0; i < fewshot.n; i++) {
      const j = i + below(random, order.length - i);
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    return order.slice(0, fewshot.n);
  };
}
