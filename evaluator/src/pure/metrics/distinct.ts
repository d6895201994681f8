import { isTokensItem, ngramsOf, selfBleuMetric, type TokensItem } from "./bleu.ts";
import { pythonSplit } from "./python-text.ts";
import type { Aggregate, GenerateOutcome, Metric } from "./types.ts";

/**
 * distinct-n (Li et al. 2016, "A Diversity-Promoting Objective Function for Neural Conversation
 * Models"): the number of distinct n-grams over all the generations divided by the number of
 * n-grams, n-grams taken within each generation, tokens by whitespace. 0 when no generation has
 * n tokens.
 */
export function distinctN(items: readonly TokensItem[], n: number): number {
  const seen = new Set<string>();
  let total = 0;
  for (const item of items) {
    // Tokens hold no whitespace: n-grams joined by a space are distinct exactly when they differ.
    for (const [gram, count] of ngramsOf(item)[n - 1] as Map<string, number>) {
      seen.add(gram);
      total += count;
    }
  }
  return total === 0 ? 0 : seen.size / total;
}

/** One tokens item per outcome, shared by distinct-1/2/3 (its n-grams are then counted once). */
const itemOf = new WeakMap<GenerateOutcome, TokensItem>();
function tokensItem(outcome: GenerateOutcome): TokensItem {
  let item = itemOf.get(outcome);
  if (!item) {
    item = { tokens: pythonSplit(outcome.prediction) };
    itemOf.set(outcome, item);
  }
  return item;
}

function distinct(n: number): Metric<GenerateOutcome, TokensItem> {
  return {
    id: `distinct_${n}`,
    description: `distinct-${n}: distinct ${n}-grams over all generations divided by all ${n}-grams (whitespace tokens); higher is more varied.`,
    higherIsBetter: true,
    aggregation: "corpus",
    taskTypes: ["generate", "judge"],
    isItem: isTokensItem,
    score: tokensItem,
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
