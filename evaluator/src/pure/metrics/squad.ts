import { isFiniteNumber, meanAggregate } from "./mean.ts";
import { pythonSplit } from "./python-text.ts";
import type { GenerateOutcome, Metric } from "./types.ts";

// string.punctuation: ASCII only.
const punctuation = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
// re.sub(r'\b(a|an|the)\b', ' ', text) with Python's Unicode \w (letters, numbers, underscore);
// JavaScript's \b is ASCII-only, so the boundaries are spelt out.
const articles = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

/**
 * `normalize_answer` of the official SQuAD v1.1 evaluation script (evaluate-v1.1.py): lowercase,
 * delete ASCII punctuation, replace the articles a/an/the by a space, collapse whitespace.
 */
export function normalizeAnswer(text: string): string {
  const lowered = text.toLowerCase().replace(punctuation, "");
  return pythonSplit(lowered.replace(articles, " ")).join(" ");
}

/** `exact_match_score`: 1 when both normalise to the same string. */
export function exactMatchScore(prediction: string, groundTruth: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(groundTruth) ? 1 : 0;
}

/** `f1_score`: harmonic mean of token precision and recall, tokens counted as a multiset. */
export function f1Score(prediction: string, groundTruth: string): number {
  const predicted = pythonSplit(normalizeAnswer(prediction));
  const truth = pythonSplit(normalizeAnswer(groundTruth));
  const remaining = new Map<string, number>();
  for (const token of truth) remaining.set(token, (remaining.get(token) ?? 0) + 1);
  let same = 0;
  for (const token of predicted) {
    const left = remaining.get(token) ?? 0;
    if (left > 0) {
      same++;
      remaining.set(token, left - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / predicted.length;
  const recall = same / truth.length;
  return (2 * precision * recall) / (precision + recall);
}

// metric_max_over_ground_truths; Python's max() of no ground truths raises, here it is 0.
const best = (fn: (p: string, g: string) => number, { prediction, references }: GenerateOutcome) =>
  references.reduce((top, reference) => Math.max(top, fn(prediction, reference)), 0);

/**
 * SQuAD v1.1 exact match: 1 when the normalised prediction equals any normalised reference.
 * On 0–1 per item; the official script prints the mean times 100.
 */
export const squadEm: Metric<GenerateOutcome> = {
  id: "em",
  description:
    "SQuAD v1.1 exact match (0–1): the prediction equals a reference after lowercasing and removing punctuation, articles and extra whitespace.",
  higherIsBetter: true,
  aggregation: "mean",
  taskTypes: ["generate"],
  isItem: (value: unknown): value is number => value === 0 || value === 1,
  aggregate: meanAggregate,
  score: (outcome) => best(exactMatchScore, outcome),
};

/**
 * SQuAD v1.1 token F1, the best over references. On 0–1 per item; the official script prints
 * the mean times 100.
 */
export const squadF1: Metric<GenerateOutcome> = {
  id: "f1",
  description:
    "SQuAD v1.1 token F1 (0–1) between the normalised prediction and the best-matching reference.",
  higherIsBetter: true,
  aggregation: "mean",
  taskTypes: ["generate"],
  isItem: (value: unknown): value is number => isFiniteNumber(value) && value >= 0 && value <= 1,
  aggregate: meanAggregate,
  score: (outcome) => best(f1Score, outcome),
};
