import { isFiniteNumber, meanAggregate } from "./mean.ts";
import { porterStem } from "./porter-stemmer.ts";
import { ngramCounts, overlap, total } from "./python-text.ts";
import type { GenerateOutcome, Metric } from "./types.ts";

export type RougeType = "rouge1" | "rouge2" | "rougeL" | "rougeLsum";

export interface RougeOptions {
  /** Porter-stem tokens longer than 3 characters (rouge-score's `use_stemmer`; default false). */
  useStemmer?: boolean;
}

/** precision, recall and F-measure, as rouge-score's `scoring.Score`. */
export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

/**
 * rouge-score's tokenizer (tokenize.py): lowercase, every run of characters outside [a-z0-9]
 * becomes a space, split, optionally stem words longer than 3 characters, drop empty tokens.
 * Letters outside ASCII are therefore separators.
 */
export function rougeTokenize(text: string, useStemmer = false): string[] {
  const tokens = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .split(" ");
  const stemmed = useStemmer ? tokens.map((t) => (t.length > 3 ? porterStem(t) : t)) : tokens;
  return stemmed.filter((t) => /^[a-z0-9]+$/.test(t));
}

function fmeasure(precision: number, recall: number): RougeScore {
  const f = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, fmeasure: f };
}

const zero: RougeScore = { precision: 0, recall: 0, fmeasure: 0 };

/** `_score_ngrams`: clipped n-gram overlap; an empty side counts as one n-gram. */
function scoreNgrams(target: readonly string[], prediction: readonly string[], n: number) {
  const targetNgrams = ngramCounts(target, n, " ");
  const predictionNgrams = ngramCounts(prediction, n, " ");
  const shared = overlap(targetNgrams, predictionNgrams);
  return fmeasure(
    shared / Math.max(total(predictionNgrams), 1),
    shared / Math.max(total(targetNgrams), 1),
  );
}

/** `_lcs_table`: the dynamic-programming table of LCS lengths of prefixes. */
function lcsTable(ref: readonly string[], can: readonly string[]): number[][] {
  const table = Array.from({ length: ref.length + 1 }, () =>
    new Array<number>(can.length + 1).fill(0),
  );
  for (let i = 1; i <= ref.length; i++) {
    const row = table[i] as number[];
    const above = table[i - 1] as number[];
    for (let j = 1; j <= can.length; j++) {
      row[j] =
        ref[i - 1] === can[j - 1]
          ? (above[j - 1] as number) + 1
          : Math.max(above[j] as number, row[j - 1] as number);
    }
  }
  return table;
}

/** `_score_lcs`: rougeL. */
function scoreLcs(target: readonly string[], prediction: readonly string[]): RougeScore {
  if (target.length === 0 || prediction.length === 0) return zero;
  const lcs = (lcsTable(target, prediction)[target.length] as number[])[
    prediction.length
  ] as number;
  return fmeasure(lcs / prediction.length, lcs / target.length);
}

/** `lcs_ind` (`_backtrack_norec`): indices into `ref` of one longest common subsequence. */
function lcsIndices(ref: readonly string[], can: readonly string[]): number[] {
  const t = lcsTable(ref, can);
  const out: number[] = [];
  let i = ref.length;
  let j = can.length;
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) {
      out.unshift(i - 1);
      i--;
      j--;
    } else if (((t[i] as number[])[j - 1] as number) > ((t[i - 1] as number[])[j] as number)) {
      j--;
    } else {
      i--;
    }
  }
  return out;
}

/** `_summary_level_lcs`: rougeLsum's union LCS over sentences, each token counted once. */
function summaryLevelLcs(refSents: readonly string[][], canSents: readonly string[][]) {
  if (refSents.length === 0 || canSents.length === 0) return zero;
  const m = refSents.reduce((sum, s) => sum + s.length, 0);
  const n = canSents.reduce((sum, s) => sum + s.length, 0);
  if (m === 0 || n === 0) return zero;
  const tokenCounts = (sents: readonly string[][]) => {
    const counts = new Map<string, number>();
    for (const s of sents) for (const t of s) counts.set(t, (counts.get(t) ?? 0) + 1);
    return counts;
  };
  const refCounts = tokenCounts(refSents);
  const canCounts = tokenCounts(canSents);
  let hits = 0;
  for (const ref of refSents) {
    const union = new Set<number>();
    for (const can of canSents) for (const index of lcsIndices(ref, can)) union.add(index);
    for (const index of [...union].sort((a, b) => a - b)) {
      const token = ref[index] as string;
      const c = canCounts.get(token) ?? 0;
      const r = refCounts.get(token) ?? 0;
      if (c > 0 && r > 0) {
        hits++;
        canCounts.set(token, c - 1);
        refCounts.set(token, r - 1);
      }
    }
  }
  return fmeasure(hits / n, hits / m);
}

/** `RougeScorer([type], use_stemmer).score(target, prediction)[type]`. */
export function rougeScore(
  type: RougeType,
  target: string,
  prediction: string,
  { useStemmer = false }: RougeOptions = {},
): RougeScore {
  if (type === "rougeLsum") {
    // sentences are the non-empty lines
    const sents = (text: string) =>
      text
        .split("\n")
        .filter((line) => line.length > 0)
        .map((line) => rougeTokenize(line, useStemmer));
    return summaryLevelLcs(sents(target), sents(prediction));
  }
  const targetTokens = rougeTokenize(target, useStemmer);
  const predictionTokens = rougeTokenize(prediction, useStemmer);
  if (type === "rougeL") return scoreLcs(targetTokens, predictionTokens);
  return scoreNgrams(targetTokens, predictionTokens, type === "rouge1" ? 1 : 2);
}

const descriptions: Record<RougeType, string> = {
  rouge1: "unigram",
  rouge2: "bigram",
  rougeL: "longest-common-subsequence",
  rougeLsum: "summary-level (per-line union) longest-common-subsequence",
};

/**
 * A ROUGE F-measure per item as google-research's rouge-score computes it, the best over the
 * references (`RougeScorer.score_multi` picks the reference with the highest F-measure), times
 * 100 and averaged over items, as lm-evaluation-harness reports ROUGE (truthfulqa_gen). The
 * task's options give `useStemmer`; lm-evaluation-harness leaves it off.
 */
export function rouge(type: RougeType, options: RougeOptions = {}): Metric<GenerateOutcome> {
  return {
    id: type,
    description: `ROUGE ${descriptions[type]} F-measure (0–100), rouge-score's tokenizer${options.useStemmer ? " with Porter stemming" : ""}, the best over references, mean over items.`,
    higherIsBetter: true,
    aggregation: "mean",
    taskTypes: ["generate"],
    isItem: (value: unknown): value is number =>
      isFiniteNumber(value) && value >= 0 && value <= 100,
    aggregate: meanAggregate,
    score: ({ prediction, references }) =>
      100 *
      references.reduce(
        (top, reference) =>
          Math.max(top, rougeScore(type, reference, prediction, options).fmeasure),
        0,
      ),
  };
}

export const rouge1 = rouge("rouge1");
export const rouge2 = rouge("rouge2");
export const rougeL = rouge("rougeL");
export const rougeLsum = rouge("rougeLsum");
