import { argmax } from "../stats.ts";
import { isFiniteNumber, meanAggregate } from "./mean.ts";
import type { Metric, MultipleChoiceOutcome } from "./types.ts";

/**
 * Accuracy after dividing each choice's log-likelihood by its length in characters, as
 * lm-evaluation-harness's `acc_norm`: `pred_norm = np.argmax(lls / completion_len)` where
 * `completion_len = [float(len(c)) for c in choices]` (the choice string, without the delimiter).
 */
export const accNorm: Metric<MultipleChoiceOutcome> = {
  id: "acc_norm",
  description: "Accuracy with each choice's log-likelihood divided by its length in characters.",
  higherIsBetter: true,
  aggregation: "mean",
  taskTypes: ["multiple_choice"],
  isItem: isFiniteNumber,
  aggregate: meanAggregate,
  score: ({ loglikelihoods, choiceChars, gold }) => {
    const normalised = loglikelihoods.map((ll, i) => ll / (choiceChars[i] as number));
    return gold.includes(argmax(normalised)) ? 1 : 0;
  },
};
