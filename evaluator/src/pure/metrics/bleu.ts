import {
  total as countAll,
  isCount,
  ngramCounts,
  pythonRstrip,
  pythonSplit,
} from "./python-text.ts";
import type { Aggregate, GenerateOutcome, Metric } from "./types.ts";

const maxOrder = 4;

/**
 * What one item contributes to corpus BLEU: sacreBLEU's segment statistics
 * (`[hyp_len, ref_len] + correct + total`), with the reference length the closest one.
 */
export type BleuItem = {
  hypLen: number;
  refLen: number;
  /** Clipped n-gram matches for n = 1..4. */
  correct: number[];
  /** Hypothesis n-grams for n = 1..4. */
  total: number[];
};

// sacrebleu/tokenizers/tokenizer_re.py (TokenizerRegexp), applied in order.
const rules: readonly [RegExp, string][] = [
  // language-dependent part (assuming Western languages)
  [/([{-~[-` -&(-+:-@/])/gu, " $1 "],
  // period and comma unless preceded by a digit
  [/([^0-9])([.,])/gu, "$1 $2 "],
  // period and comma unless followed by a digit
  [/([.,])([^0-9])/gu, " $1 $2"],
  // dash when preceded by a digit
  [/([0-9])(-)/gu, "$1 $2 "],
];

/**
 * sacreBLEU's default `13a` tokenizer (tokenizer_13a.py, mteval-v13a.pl), after
 * `BLEU._preprocess_segment`'s `rstrip()`: the tokens of one segment.
 */
export function tokenize13a(segment: string): string[] {
  let line = pythonRstrip(segment)
    .replaceAll("<skipped>", "")
    .replaceAll("-\n", "")
    .replaceAll("\n", " ");
  if (line.includes("&")) {
    line = line
      .replaceAll("&quot;", '"')
      .replaceAll("&amp;", "&")
      .replaceAll("&lt;", "<")
      .replaceAll("&gt;", ">");
  }
  line = ` ${line} `;
  for (const [pattern, replacement] of rules) line = line.replace(pattern, replacement);
  return pythonSplit(line);
}

// Tokens hold no whitespace, so a space keeps distinct n-grams apart.
const allNgrams = (tokens: readonly string[]) =>
  Array.from({ length: maxOrder }, (_, i) => ngramCounts(tokens, i + 1, " "));

/**
 * `BLEU._get_closest_ref_len`: the reference length closest to the hypothesis length, the
 * shorter on a tie.
 */
function closestRefLen(hypLen: number, refLens: readonly number[]): number {
  let closestDiff = -1;
  let closestLen = -1;
  for (const refLen of refLens) {
    const diff = Math.abs(hypLen - refLen);
    if (closestDiff === -1 || diff < closestDiff) {
      closestDiff = diff;
      closestLen = refLen;
    } else if (diff === closestDiff && refLen < closestLen) {
      closestLen = refLen;
    }
  }
  return closestLen;
}

/**
 * sacreBLEU's `intl` tokenizer (`TokenizerV14International`, mteval-v14's international
 * tokenisation): punctuation split off unless between digits, symbols split off, after the
 * segment's trailing whitespace goes (`sent.rstrip()`).
 */
export function tokenizeIntl(segment: string): string[] {
  const line = pythonRstrip(segment)
    .replace(/(\P{N})(\p{P})/gu, "$1 $2 ")
    .replace(/(\p{P})(\P{N})/gu, " $1 $2")
    .replace(/(\p{S})/gu, " $1 ");
  return pythonSplit(line);
}

/**
 * sacreBLEU's segment statistics against all of an item's references: n-gram counts clipped by
 * the maximum count in any one reference, and the closest reference length. Empty references
 * are dropped as sacreBLEU drops them; where none is left (sacreBLEU raises) the item counts
 * its hypothesis against an empty reference.
 */
export function bleuStatistics(
  hypothesis: string,
  references: readonly string[],
  tokenize: (segment: string) => string[] = tokenize13a,
): BleuItem {
  const hypTokens = tokenize(hypothesis);
  const hypNgrams = allNgrams(hypTokens);
  const refMax = Array.from({ length: maxOrder }, () => new Map<string, number>());
  const refLens: number[] = [];
  for (const reference of references) {
    if (reference === "") continue;
    const tokens = tokenize(reference);
    refLens.push(tokens.length);
    allNgrams(tokens).forEach((counts, order) => {
      const merged = refMax[order] as Map<string, number>;
      for (const [ngram, count] of counts) {
        merged.set(ngram, Math.max(merged.get(ngram) ?? 0, count));
      }
    });
  }
  const correct = hypNgrams.map((counts, order) => {
    let matched = 0;
    for (const [ngram, count] of counts) {
      matched += Math.min(count, (refMax[order] as Map<string, number>).get(ngram) ?? 0);
    }
    return matched;
  });
  const total = hypNgrams.map(countAll);
  const refLen = refLens.length === 0 ? 0 : closestRefLen(hypTokens.length, refLens);
  return { hypLen: hypTokens.length, refLen, correct, total };
}

// sacrebleu.utils.my_log: log(0) is a large negative number, not -inf.
const myLog = (x: number) => (x === 0 ? -9999999999 : Math.log(x));

/**
 * `BLEU.compute_bleu` with sacreBLEU's defaults (smooth_method "exp", effective_order false,
 * max order 4) on summed statistics: the score on 0–100.
 */
export function bleuFromStatistics({ hypLen, refLen, correct, total }: BleuItem): number {
  const bp = hypLen < refLen ? (hypLen > 0 ? Math.exp(1 - refLen / hypLen) : 0) : 1;
  if (!correct.some((c) => c !== 0)) return 0;
  const precisions = new Array<number>(maxOrder).fill(0);
  let smoothMteval = 1;
  for (let n = 1; n <= maxOrder; n++) {
    const t = total[n - 1] as number;
    const c = correct[n - 1] as number;
    if (t === 0) break;
    if (c === 0) {
      smoothMteval *= 2;
      precisions[n - 1] = 100 / (smoothMteval * t);
    } else {
      precisions[n - 1] = (100 * c) / t;
    }
  }
  let logSum = 0;
  for (const p of precisions) logSum += myLog(p);
  return bp * Math.exp(logSum / maxOrder);
}

const isCounts = (value: unknown): value is number[] =>
  Array.isArray(value) && value.length === maxOrder && value.every(isCount);

function isBleuItem(value: unknown): value is BleuItem {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const item = value as Record<string, unknown>;
  if (Object.keys(item).length !== 4) return false;
  const { hypLen, refLen, correct, total } = item;
  return (
    isCount(hypLen) &&
    isCount(refLen) &&
    isCounts(correct) &&
    isCounts(total) &&
    // a hypothesis of L tokens has max(L - n + 1, 0) n-grams, and a match is one of them
    total.every((t, i) => t === Math.max(hypLen - i, 0) && (correct[i] as number) <= t)
  );
}

function aggregateBleu(items: readonly BleuItem[]): Aggregate {
  if (items.length === 0) return { value: null, stderr: null };
  let hypLen = 0;
  let refLen = 0;
  const correct = new Array<number>(maxOrder).fill(0);
  const total = new Array<number>(maxOrder).fill(0);
  for (const item of items) {
    hypLen += item.hypLen;
    refLen += item.refLen;
    for (let i = 0; i < maxOrder; i++) {
      correct[i] = (correct[i] as number) + (item.correct[i] as number);
      total[i] = (total[i] as number) + (item.total[i] as number);
    }
  }
  return { value: bleuFromStatistics({ hypLen, refLen, correct, total }), stderr: null };
}

/**
 * Corpus BLEU as `sacrebleu.corpus_bleu(predictions, references)` with its defaults (what
 * lm-evaluation-harness's `bleu` calls): 13a tokenization, mixed case, exp smoothing, 4-grams,
 * brevity penalty against the closest reference length. Each item stores its sufficient
 * statistics; the score is computed over their sums.
 */
export const bleu: Metric<GenerateOutcome, BleuItem> = {
  id: "bleu",
  description:
    "Corpus BLEU (0–100) as sacreBLEU computes it by default: 13a tokens, mixed case, exp smoothing, closest reference length.",
  higherIsBetter: true,
  aggregation: "corpus",
  taskTypes: ["generate"],
  isItem: isBleuItem,
  aggregate: aggregateBleu,
  score: ({ prediction, references }) => bleuStatistics(prediction, references),
};

/** A generation's tokens: what the diversity metrics (self-BLEU, distinct-n) keep per item. */
export type TokensItem = { tokens: string[] };

export const isTokensItem = (v: unknown): v is TokensItem =>
  v !== null &&
  typeof v === "object" &&
  !Array.isArray(v) &&
  Object.keys(v).length === 1 &&
  Array.isArray((v as TokensItem).tokens) &&
  (v as TokensItem).tokens.every((t) => typeof t === "string");

/**
 * A generation's n-gram counts for n = 1..4 (keys joined by a space), once per item: bootstrap
 * resamples score the same items again.
 */
const ngramCache = new WeakMap<object, Map<string, number>[]>();
export function ngramsOf(item: { tokens: readonly string[] }): Map<string, number>[] {
  let grams = ngramCache.get(item);
  if (!grams) {
    grams = allNgrams(item.tokens);
    ngramCache.set(item, grams);
  }
  return grams;
}

/**
 * Self-BLEU (Zhu et al. 2018, Texygen): the mean, over generations, of each one's BLEU against all
 * the others as references; here sacreBLEU's corpus BLEU of one segment (13a tokens, exp
 * smoothing), clipping by the largest count in any other generation. Lower means more varied.
 * Null below two generations. Linear in the tokens: each n-gram's two largest counts are kept,
 * so a generation's clip is the largest count among the others.
 */
export function selfBleu(items: readonly { tokens: readonly string[] }[]): number | null {
  if (items.length < 2) return null;
  const grams = items.map(ngramsOf);
  // Per order and n-gram: [largest count, its generation, second largest count].
  const top = Array.from({ length: maxOrder }, () => new Map<string, [number, number, number]>());
  grams.forEach((orders, i) => {
    orders.forEach((counts, order) => {
      const byGram = top[order] as Map<string, [number, number, number]>;
      for (const [gram, count] of counts) {
        const best = byGram.get(gram);
        if (!best) byGram.set(gram, [count, i, 0]);
        else if (count > best[0]) byGram.set(gram, [count, i, best[0]]);
        else if (count > best[2]) best[2] = count;
      }
    });
  });
  const lengths = items.map((item) => item.tokens.length);
  const nearestOther = closestOtherLength(lengths);
  let sum = 0;
  grams.forEach((orders, i) => {
    const correct = orders.map((counts, order) => {
      let matched = 0;
      for (const [gram, count] of counts) {
        const [first, owner, second] = (top[order] as Map<string, [number, number, number]>).get(
          gram,
        ) as [number, number, number];
        matched += Math.min(count, owner === i ? second : first);
      }
      return matched;
    });
    const hypLen = lengths[i] as number;
    sum += bleuFromStatistics({
      hypLen,
      refLen: nearestOther(i),
      correct,
      total: orders.map(countAll),
    });
  });
  return sum / items.length;
}

/**
 * For generation i, `closestRefLen(length i, every other non-empty length)` (sacreBLEU drops empty
 * references), without building the others' list for each i: the distinct lengths sorted once, a
 * binary search, and the generation's own length skipped where it is the only one.
 */
function closestOtherLength(lengths: readonly number[]): (i: number) => number {
  const counts = new Map<number, number>();
  for (const length of lengths) if (length > 0) counts.set(length, (counts.get(length) ?? 0) + 1);
  const distinct = [...counts.keys()].sort((a, b) => a - b);
  return (i) => {
    const own = lengths[i] as number;
    const available = (length: number) => (counts.get(length) ?? 0) - (length === own ? 1 : 0) > 0;
    let low = 0;
    let high = distinct.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((distinct[mid] as number) < own) low = mid + 1;
      else high = mid;
    }
    let left = low - 1;
    while (left >= 0 && !available(distinct[left] as number)) left--;
    let right = low;
    while (right < distinct.length && !available(distinct[right] as number)) right++;
    const shorter = left >= 0 ? (distinct[left] as number) : undefined;
    const longer = right < distinct.length ? (distinct[right] as number) : undefined;
    if (shorter === undefined) return longer ?? -1;
    if (longer === undefined) return shorter;
    // The closer one; on a tie the shorter, as closestRefLen chooses.
    return longer - own < own - shorter ? longer : shorter;
  };
}

/** Self-BLEU over a task's generations (lower is more varied). */
export const selfBleuMetric: Metric<GenerateOutcome, TokensItem> = {
  id: "self_bleu",
  description:
    "Self-BLEU (Texygen): mean BLEU (sacreBLEU, 13a) of each answer against all the others; lower means more varied answers.",
  higherIsBetter: false,
  aggregation: "corpus",
  taskTypes: ["generate", "judge"],
  isItem: isTokensItem,
  score: ({ prediction }) => ({ tokens: tokenize13a(prediction) }),
  aggregate: (items) => ({ value: selfBleu(items), stderr: null }),
};
