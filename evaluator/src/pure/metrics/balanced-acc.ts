import { argmax } from "../stats.ts";
import type { Aggregate, Metric, MultipleChoiceOutcome } from "./types.ts";

/** What one item contributes: its gold class and the predicted one (choice indices). */
export type BalancedAccItem = { gold: number; pred: number };

const isIndex = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/**
 * Balanced accuracy as scikit-learn's `balanced_accuracy_score(y_true, y_pred)` (adjusted=False):
 * the mean, over the classes that occur as gold, of each class's recall. A class that is only
 * ever predicted has no recall (0/0) and is left out, as scikit-learn leaves out its NaN.
 */
export function balancedAccuracy(items: readonly BalancedAccItem[]): Aggregate {
  if (items.length === 0) return { value: null, stderr: null };
  const total = new Map<number, number>();
  const right = new Map<number, number>();
  for (const { gold, pred } of items) {
    total.set(gold, (total.get(gold) ?? 0) + 1);
    if (pred === gold) right.set(gold, (right.get(gold) ?? 0) + 1);
  }
  let sum = 0;
  for (const [label, count] of total) sum += (right.get(label) ?? 0) / count;
  return { value: sum / total.size, stderr: null };
}

/**
 * LegalBench's metric for its classification tasks (`evaluation.py`: `balanced_accuracy_score`
 * of the answers and the normalised generations), here over the highest-log-likelihood choice.
 * An item with several gold choices counts under the first.
 */
export const balancedAcc: Metric<MultipleChoiceOutcome, BalancedAccItem> = {
  id: "balanced_acc",
  description:
    "Mean over gold classes of each class's recall (scikit-learn's balanced_accuracy_score), the highest-log-likelihood choice as the prediction.",
  higherIsBetter: true,
  aggregation: "corpus",
  taskTypes: ["multiple_choice"],
  isItem: (v: unknown): v is BalancedAccItem =>
    v !== null &&
    typeof v === "object" &&
    !Array.isArray(v) &&
    Object.keys(v).length === 2 &&
    isIndex((v as BalancedAccItem).gold) &&
    isIndex((v as BalancedAccItem).pred),
  aggregate: balancedAccuracy,
  score: ({ loglikelihoods, gold }) => ({ gold: gold[0] as number, pred: argmax(loglikelihoods) }),
};
