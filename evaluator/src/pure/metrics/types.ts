/** What a multiple-choice item leaves behind for scoring. */
export interface MultipleChoiceOutcome {
  /** Summed log-likelihood of each choice's continuation given the context. */
  loglikelihoods: readonly number[];
  /** Length of each choice string in characters (lm-evaluation-harness's `completion_len`). */
  choiceChars: readonly number[];
  /** Index (or indices) of the correct choice(s). */
  gold: readonly number[];
}

/** A metric: its id, its direction, how it scores one item and how item scores aggregate. */
export interface Metric {
  id: string;
  description: string;
  /** Direction belongs to the metric, so rankings and Pareto fronts never guess. */
  higherIsBetter: boolean;
  aggregation: "mean";
  taskTypes: readonly string[];
  score(outcome: MultipleChoiceOutcome): number;
}
