import { argmax } from "../stats.ts";
import { isFiniteNumber, meanAggregate } from "./mean.ts";
import type { Metric, MultipleChoiceOutcome } from "./types.ts";

/**
 * Accuracy of the highest-log-likelihood choice, as lm-evaluation-harness's multiple_choice `acc`:
 * `pred = np.argmax(lls)`, `acc = 1.0 if pred in gold else 0.0`.
 */
export const acc: Metric<MultipleChoiceOutcome> = {
  id: "acc",
  description: "Share of items whose highest-log-likelihood choice is correct.",
  higherIsBetter: true,
  aggregation: "mean",
  taskTypes: ["multiple_choice"],
  isItem: isFiniteNumber,
  aggregate: meanAggregate,
  score: ({ loglikelihoods, gold }) => (gold.includes(argmax(loglikelihoods)) ? 1 : 0),
};
