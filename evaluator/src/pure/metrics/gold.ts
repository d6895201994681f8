import { tatqaGoldProblem } from "./tatqa.ts";
import { truthfulqaGoldProblem } from "./truthfulqa.ts";
import type { Json } from "./types.ts";

const truthfulqa = ["bleu", "rouge1", "rouge2", "rougeL"].flatMap((name) =>
  ["max", "acc", "diff"].map((kind) => [`${name}_${kind}`, truthfulqaGoldProblem] as const),
);

/**
 * Metrics that read a generate task's structured `gold`, with the check of what they read: the
 * task's `gold` expression must give it for every record (checked when items are prepared).
 */
export const goldChecks: Readonly<Record<string, (gold: Json | undefined) => string | undefined>> =
  {
    tatqa_em: tatqaGoldProblem,
    tatqa_f1: tatqaGoldProblem,
    ...Object.fromEntries(truthfulqa),
  };
