import { selfBleuMetric } from "./bleu.ts";
import { pythonSplit } from "./python-text.ts";
import type { Aggregate, GenerateOutcome, Metric } from "./types.ts";

/** What one generation contributes: its whitespace tokens (Python's str.split()). */
export type DistinctItem = { tokens: string[] };

const isDistinctItem = (v: unknown): v is DistinctItem =>
  v !== null &&
  typeof v === "object" &&
  !Array.isArray(v) &&
  Object.keys(v).length === 1 &&
  Array.isArray((v as DistinctItem).tokens) &&
  (v as DistinctItem).tokens.every((t) => typeof t === "string");

/**
 * distinct-n (Li et al. 2016, "A Diversity-Promoting Objective Function for Neural Conversation
 * Models"): the number of distinct n-grams over all the generations divided by the number of
 * n-grams, n-grams taken within each generation, tokens by whitespace. 0 when no generation has
 * n tokens.
 */
export function distinctN(items: readonly DistinctItem[], n: number): number {
  const seen = new Set<string>();
  let total = 0;
  for (const { tokens } of items) {
    for (let i = 0; i + n <= tokens.length; i++) {
      seen.add(JSON.stringify(tokens.slice(i, i + n)));
      total++;
    }
  }
  return total === 0 ? 0 : seen.size / total;
}

function distinct(n: number): Metric<GenerateOutcome, DistinctItem> {
  return {
    id: `distinct_${n}`,
    description: `distinct-${n}: distinct ${n}-grams over all generations divided by all ${n}-grams (whitespace tokens); higher is more varied.`,
    higherIsBetter: true,
    aggregation: "corpus",
    taskTypes: ["generate", "judge"],
    isItem: isDistinctItem,
    score: ({ prediction }) => ({ tokens: pythonSplit(prediction) }),
    aggregate: (items): Aggregate =>
      items.length === 0
        ? { value: null, stderr: null }
        : { value: distinctN(items, n), stderr: null },
  };
}

export const distinctMetrics = {
  distinct_1: distinct(1),
  distinct_2: distinct(2),
  distinct_3: distinct(3),
  self_bleu: selfBleuMetric,
} as const;
