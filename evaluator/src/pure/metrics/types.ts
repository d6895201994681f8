/** What a multiple-choice item leaves behind for scoring. */
export interface MultipleChoiceOutcome {
  /** Summed log-likelihood of each choice's continuation given the context. */
  loglikelihoods: readonly number[];
  /**
   * Length of each choice string in characters as Python's `len` counts them (code points):
   * lm-evaluation-harness's `completion_len`.
   */
  choiceChars: readonly number[];
  /** Length of each choice string in UTF-8 bytes: lm-evaluation-harness's `byte_length`. */
  choiceBytes: readonly number[];
  /** Index (or indices) of the correct choice(s). */
  gold: readonly number[];
}

/** What a generation item leaves behind for scoring (lm-evaluation-harness `generate_until`). */
export interface GenerateOutcome {
  /** The model's answer after the task's filter chain. */
  prediction: string;
  /** Acceptable answers; item-level metrics take the best over them, corpus metrics use all. */
  references: readonly string[];
  /** Structured gold from the task's `gold` expression, for metrics that need more than strings. */
  gold?: Json;
}

/** A JSON value: what one item contributes to a metric is stored in the samples file. */
export type Json =
  | null
  | boolean
  | number
  | string
  | readonly Json[]
  | { readonly [k: string]: Json };

/** How item contributions become the task's figure. */
export type Aggregation = "mean" | "corpus" | "pass@k";

/** A task's figure for one metric; null when no item could be scored. */
export interface Aggregate {
  value: number | null;
  /** Standard error of `value`; null where it is undefined (fewer than two items). */
  stderr: number | null;
}

/**
 * A metric: its id, its direction, how it scores one item's outcome and how those item scores
 * aggregate into the task's figure. `Item` is what one item contributes (a number for a mean;
 * sufficient statistics for a corpus-level metric; per-sample results for pass@k).
 */
export interface Metric<Outcome, Item extends Json = number> {
  id: string;
  description: string;
  /** Direction belongs to the metric, so rankings and Pareto fronts never guess. */
  higherIsBetter: boolean;
  aggregation: Aggregation;
  /** Task types whose outcome this metric reads. */
  taskTypes: readonly string[];
  score(outcome: Outcome): Item;
  /** True when a stored value (from a samples file or journal) is an item score of this metric. */
  isItem(value: unknown): value is Item;
  /** The figure over every scored item (failed items never reach it). */
  aggregate(items: readonly Item[]): Aggregate;
}

/** Any metric, whatever it reads: what the score stage and registries hold. */
export type AnyMetric = Metric<never, Json>;
