import { codePoints, isCount, ngramCounts, pythonSplit, total } from "./python-text.ts";
import type { Aggregate, GenerateOutcome, Metric } from "./types.ts";

/** sacreBLEU's `CHRF` parameters; the defaults are `CHRF()`'s (chrF2). */
export interface ChrfOptions {
  charOrder?: number;
  /** 0 for chrF; 2 for chrF++. */
  wordOrder?: number;
  beta?: number;
  /** chrF++.py-style epsilon smoothing instead of sacreBLEU's default effective order. */
  epsSmoothing?: boolean;
}

type Resolved = Required<ChrfOptions>;

const resolve = (options: ChrfOptions): Resolved => ({
  charOrder: 6,
  wordOrder: 0,
  beta: 2,
  epsSmoothing: false,
  ...options,
});

// CHRF._PUNCTS: string.punctuation, ASCII only.
const puncts = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");

/** `CHRF._remove_punctuation`: split, then one punctuation mark off a word's end, else start. */
export function chrfWords(sentence: string): string[] {
  const words: string[] = [];
  for (const word of pythonSplit(sentence)) {
    const chars = codePoints(word);
    const last = chars[chars.length - 1] as string;
    if (chars.length === 1) words.push(word);
    else if (puncts.has(last)) words.push(chars.slice(0, -1).join(""), last);
    else if (puncts.has(chars[0] as string))
      words.push(chars[0] as string, chars.slice(1).join(""));
    else words.push(word);
  }
  return words;
}

/** Character n-grams (whitespace removed) for 1..charOrder, then word n-grams for 1..wordOrder. */
function extractNgrams(sentence: string, { charOrder, wordOrder }: Resolved) {
  const chars = codePoints(pythonSplit(sentence).join(""));
  const ngrams = Array.from({ length: charOrder }, (_, i) => ngramCounts(chars, i + 1, ""));
  if (wordOrder > 0) {
    const words = chrfWords(sentence);
    for (let n = 1; n <= wordOrder; n++) ngrams.push(ngramCounts(words, n, " "));
  }
  return ngrams;
}

/**
 * `CHRF._compute_f_score` on [hyp, ref, match] triples, one per order: the score on 0–100.
 */
export function chrfFromStatistics(statistics: readonly number[], options: ChrfOptions = {}) {
  const { beta, epsSmoothing } = resolve(options);
  const order = statistics.length / 3;
  const eps = 1e-16;
  const factor = beta ** 2;
  let score = 0;
  let effectiveOrder = 0;
  let avgPrec = 0;
  let avgRec = 0;
  for (let i = 0; i < order; i++) {
    const nHyp = statistics[3 * i] as number;
    const nRef = statistics[3 * i + 1] as number;
    const nMatch = statistics[3 * i + 2] as number;
    const prec = nHyp > 0 ? nMatch / nHyp : eps;
    const rec = nRef > 0 ? nMatch / nRef : eps;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effectiveOrder++;
    }
  }
  if (epsSmoothing) return (100 * score) / order;
  if (effectiveOrder === 0) return 0;
  avgPrec /= effectiveOrder;
  avgRec /= effectiveOrder;
  if (avgPrec + avgRec === 0) return 0;
  return (100 * ((1 + factor) * avgPrec * avgRec)) / (factor * avgPrec + avgRec);
}

/**
 * `CHRF._compute_segment_statistics`: [hyp, ref, match] counts per order against the reference
 * with the best sentence-level score (the first on ties). Empty references are dropped as
 * sacreBLEU drops them; where none is left (sacreBLEU raises) every count is 0.
 */
export function chrfStatistics(
  hypothesis: string,
  references: readonly string[],
  options: ChrfOptions = {},
): number[] {
  const resolved = resolve(options);
  const hypNgrams = extractNgrams(hypothesis, resolved);
  let best: number[] = new Array(3 * hypNgrams.length).fill(0);
  let bestScore = -1;
  for (const reference of references) {
    if (reference === "") continue;
    const refNgrams = extractNgrams(reference, resolved);
    const stats = hypNgrams.flatMap((hyp, i) => {
      const ref = refNgrams[i] as Map<string, number>;
      let match = 0;
      for (const [ngram, count] of hyp) match += Math.min(count, ref.get(ngram) ?? 0);
      // sacreBLEU does not count hypothesis n-grams of an order the reference has none of
      return [ref.size > 0 ? total(hyp) : 0, total(ref), match];
    });
    const score = chrfFromStatistics(stats, resolved);
    if (score > bestScore) {
      bestScore = score;
      best = stats;
    }
  }
  return best;
}

function isChrfItem(value: unknown, order: number): value is number[] {
  if (!Array.isArray(value) || value.length !== 3 * order || !value.every(isCount)) return false;
  for (let i = 0; i < order; i++) {
    const [hyp, ref, match] = value.slice(3 * i, 3 * i + 3) as [number, number, number];
    if (match > hyp || match > ref || (ref === 0 && hyp !== 0)) return false;
  }
  return true;
}

function chrfMetric(id: string, options: ChrfOptions, description: string) {
  const resolved = resolve(options);
  const order = resolved.charOrder + resolved.wordOrder;
  return {
    id,
    description,
    higherIsBetter: true,
    aggregation: "corpus",
    taskTypes: ["generate"],
    isItem: (value: unknown): value is number[] => isChrfItem(value, order),
    aggregate: (items: readonly number[][]): Aggregate => {
      if (items.length === 0) return { value: null, stderr: null };
      const sums = new Array<number>(3 * order).fill(0);
      for (const item of items) {
        for (let i = 0; i < sums.length; i++) sums[i] = (sums[i] as number) + (item[i] as number);
      }
      return { value: chrfFromStatistics(sums, resolved), stderr: null };
    },
    score: ({ prediction, references }: GenerateOutcome) =>
      chrfStatistics(prediction, references, resolved),
  } satisfies Metric<GenerateOutcome, number[]>;
}

/**
 * chrF2 as `sacrebleu.corpus_chrf(predictions, references)` with its defaults (what
 * lm-evaluation-harness's `chrf` calls): character 6-grams without whitespace, beta 2,
 * effective-order averaging. Each item stores [hyp, ref, match] counts per order.
 */
export const chrf: Metric<GenerateOutcome, number[]> = chrfMetric(
  "chrf",
  {},
  "Corpus chrF2 (0–100) as sacreBLEU computes it by default: character 1–6-grams without whitespace, beta 2.",
);

/** chrF++ as sacreBLEU's `CHRF(word_order=2)`: chrF2 plus word unigrams and bigrams. */
export const chrfPlusPlus: Metric<GenerateOutcome, number[]> = chrfMetric(
  "chrf++",
  { wordOrder: 2 },
  "Corpus chrF2++ (0–100) as sacreBLEU's CHRF(word_order=2): character 1–6-grams and word 1–2-grams, beta 2.",
);
