import { distinctMetrics } from "./distinct.ts";
import { isFiniteNumber, meanAggregate } from "./mean.ts";
import type { GenerateOutcome, Metric } from "./types.ts";

/** One pairwise comparison's result, from the evaluated model's side. */
export type Verdict = "win" | "tie" | "loss";

/** What a judged item leaves behind: the answer (as `prediction`) and the judge's rating or verdicts. */
export interface JudgeOutcome extends GenerateOutcome {
  /** Single-answer grading: the judge's rating. */
  rating?: number;
  /**
   * Pairwise: the verdicts with the model's answer first and second, and MT-Bench's combination
   * (a win or a loss only when both orders agree, else a tie).
   */
  pairwise?: { first: Verdict; second: Verdict; combined: Verdict };
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new TypeError(`the judged item has no ${what}`);
  return value;
}

const mean = (
  id: string,
  description: string,
  score: (o: JudgeOutcome) => number,
): Metric<JudgeOutcome> => ({
  id,
  description,
  higherIsBetter: id !== "loss_rate" && id !== "first_position_rate",
  aggregation: "mean",
  taskTypes: ["judge"],
  isItem: isFiniteNumber,
  aggregate: meanAggregate,
  score,
});

/** The mean rating the judge gave (MT-Bench's single-answer score). */
export const judgeScore = mean(
  "judge_score",
  "Mean of the judge model's ratings on the task's rubric scale (MT-Bench's single-answer grading); items whose judgment has no valid rating are errors, not zeros.",
  (o) => need(o.rating, "rating"),
);

const pairwise = (o: JudgeOutcome) => need(o.pairwise, "pairwise verdicts");

/** Metrics of pairwise judging, MT-Bench's pair-v2 method with both orders asked. */
export const pairwiseMetrics = {
  win_rate: mean(
    "win_rate",
    "Share of items where the judge preferred the model's answer to the baseline's in both orders.",
    (o) => (pairwise(o).combined === "win" ? 1 : 0),
  ),
  tie_rate: mean(
    "tie_rate",
    "Share of items judged a tie: a tie in both orders, or verdicts that disagree between orders.",
    (o) => (pairwise(o).combined === "tie" ? 1 : 0),
  ),
  loss_rate: mean(
    "loss_rate",
    "Share of items where the judge preferred the baseline's answer in both orders (lower is better).",
    (o) => (pairwise(o).combined === "loss" ? 1 : 0),
  ),
  position_consistency: mean(
    "position_consistency",
    "Share of items whose two verdicts agree once the answers swap places (MT-Bench's consistency).",
    (o) => (pairwise(o).first === pairwise(o).second ? 1 : 0),
  ),
  first_position_rate: mean(
    "first_position_rate",
    "Share of items where the judge chose whichever answer came first in both orders: its bias toward position A (lower is better).",
    (o) => (pairwise(o).first === "win" && pairwise(o).second === "loss" ? 1 : 0),
  ),
} as const;

export const judgeMetrics = {
  judge_score: judgeScore,
  ...pairwiseMetrics,
  ...distinctMetrics,
} as const;

/** MT-Bench's combination of the two orders: a win or a loss only when both agree. */
export function combineVerdicts(first: Verdict, second: Verdict): Verdict {
  return first === second ? first : "tie";
}
