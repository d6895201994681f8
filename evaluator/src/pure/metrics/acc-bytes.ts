import { argmax } from "../stats.ts";
import { isFiniteNumber, meanAggregate } from "./mean.ts";
import type { Metric, MultipleChoiceOutcome } from "./types.ts";

/**
 * Accuracy after dividing each choice's log-likelihood by its length in UTF-8 bytes, as
 * lm-evaluation-harness's `acc_bytes`: `pred_byte = np.argmax(lls / byte_length)` where
 * `byte_length = [float(len(c.encode("utf-8"))) for c in choices]`.
 */
export const accBytes: Metric<MultipleChoiceOutcome> = {
  id: "acc_bytes",
  description: "Accuracy with each choice's log-likelihood divided by its length in UTF-8 bytes.",
  higherIsBetter: true,
  aggregation: "mean",
  taskTypes: ["multiple_choice"],
  isItem: isFiniteNumber,
  aggregate: meanAggregate,
  score: ({ loglikelihoods, choiceBytes, gold }) => {
    const perByte = loglikelihoods.map((ll, i) => ll / (choiceBytes[i] as number));
    return gold.includes(argmax(perByte)) ? 1 : 0;
  },
};
