import { distinctMetrics } from "./distinct.ts";
import { isFiniteNumber, meanAggregate } from "./mean.ts";
import type { GenerateOutcome, Metric } from "./types.ts";

/** What a judged item leaves behind: the answer (as `prediction`) and the judge's rating. */
export interface JudgeOutcome extends GenerateOutcome {
  rating: number;
}

/** The mean rating the judge gave (MT-Bench's single-answer score). */
export const judgeScore: Metric<JudgeOutcome> = {
  id: "judge_score",
  description:
    "Mean of the judge model's ratings on the task's rubric scale (MT-Bench's single-answer grading); items whose judgment has no valid rating are errors, not zeros.",
  higherIsBetter: true,
  aggregation: "mean",
  taskTypes: ["judge"],
  isItem: isFiniteNumber,
  aggregate: meanAggregate,
  score: ({ rating }) => rating,
};

export const judgeMetrics = { judge_score: judgeScore, ...distinctMetrics } as const;
