import { argmax } from "../stats.ts";
import type { Metric } from "./types.ts";

/**
 * Accuracy of the highest-log-likelihood choice, as lm-evaluation-harness's multiple_choice `acc`:
 * `pred = np.argmax(lls)`, `acc = 1.0 if pred in gold else 0.0`.
 */
export const acc: Metric = {
  id: "acc",
  description: "Share of items whose highest-log-likelihood choice is correct.",
  higherIsBetter: true,
  aggregation: "mean",
  taskTypes: ["multiple_choice"],
  score: ({ loglikelihoods, gold }) => (gold.includes(argmax(loglikelihoods)) ? 1 : 0),
};
