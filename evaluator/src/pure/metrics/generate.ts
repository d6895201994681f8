import { bleu } from "./bleu.ts";
import { chrf, chrfPlusPlus } from "./chrf.ts";
import { distinctMetrics } from "./distinct.ts";
import { defaultExactMatch } from "./exact-match.ts";
import { rouge1, rouge2, rougeL, rougeLsum } from "./rouge.ts";
import { squadEm, squadF1 } from "./squad.ts";
import { tatqaEm, tatqaF1 } from "./tatqa.ts";
import { truthfulqaMetrics } from "./truthfulqa.ts";
import type { GenerateOutcome, Json, Metric } from "./types.ts";

/**
 * The metrics that read a generation's outcome, by id: the `generate` task type offers exactly
 * these. One file per metric beside this one; add each here and in `registry.ts`. Metrics with
 * options are here with their defaults; their factories (`exactMatch`, `rouge`) build the
 * instances a task's options ask for, under the same id.
 */
export const generateMetrics = {
  exact_match: defaultExactMatch,
  em: squadEm,
  f1: squadF1,
  bleu,
  chrf,
  "chrf++": chrfPlusPlus,
  rouge1,
  rouge2,
  rougeL,
  rougeLsum,
  tatqa_em: tatqaEm,
  tatqa_f1: tatqaF1,
  ...distinctMetrics,
  ...truthfulqaMetrics,
} as const satisfies Record<string, Metric<GenerateOutcome, Json>>;
