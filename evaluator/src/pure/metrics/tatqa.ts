/**
 * TAT-QA's exact match and F1, as its authors' evaluation computes them (NExTplusplus/TAT-QA,
 * `tatqa_metric.py` `TaTQAEmAndF1.__call__` and `tatqa_utils.py`): numbers are read with their
 * scale words, signs in parentheses and percent signs and compared as `'%.4f'` strings, the gold
 * answer carries its scale, and arithmetic and count answers get F1 = EM. Python's semantics
 * (`float()`, `round()`, `str()` of a float, `sorted`, `str.split()`) are reproduced where they
 * decide a score. The model states the scale in its answer text ("12.5 million", "3.2%"): the
 * predicted scale given to the reference evaluation is always "".
 *
 * Not reproduced: Python's `\d` and `float()` also read non-ASCII decimal digits; here only 0-9.
 */
import { isFiniteNumber, meanAggregate } from "./mean.ts";
import { pythonSplit } from "./python-text.ts";
import type { GenerateOutcome, Metric } from "./types.ts";

/** TAT-QA's gold for one question (its dataset fields `answer`, `answer_type`, `scale`). */
export interface TatqaGold {
  answer: string | number | readonly string[];
  answer_type: "span" | "multi-span" | "arithmetic" | "count";
  scale: "" | "thousand" | "million" | "billion" | "percent";
}

const answerTypes = new Set(["span", "multi-span", "arithmetic", "count"]);
const scales = new Set(["", "thousand", "million", "billion", "percent"]);

/** Why `value` is not TAT-QA gold, or undefined when it is. */
export function tatqaGoldProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return "is not an object with answer, answer_type and scale";
  const gold = value as Record<string, unknown>;
  if (!answerTypes.has(gold.answer_type as string))
    return "answer_type is not one of span, multi-span, arithmetic, count";
  if (!scales.has(gold.scale as string))
    return 'scale is not one of "", thousand, million, billion, percent';
  const answer = gold.answer;
  if (gold.answer_type === "span" || gold.answer_type === "multi-span") {
    if (!Array.isArray(answer) || !answer.every((a) => typeof a === "string"))
      return `answer of a ${gold.answer_type} question is not a list of strings`;
  } else if (typeof answer !== "number" && typeof answer !== "string") {
    return `answer of a ${gold.answer_type} question is not a number or a string`;
  }
  return undefined;
}

// Python's string.punctuation, and tatqa_utils.EXCLUDE_IN_NUM.
const punctuation = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
const excludeInNum = new Set("'\"\\$€£¥%(),[]");

const cleanNum = (text: string) => [...text].filter((ch) => !excludeInNum.has(ch)).join("");

const digits = String.raw`\d(?:_?\d)*`;
/** A decimal literal as Python's float() reads it (underscores between digits allowed). */
const floatLiteral = new RegExp(
  `^[+-]?(?:${digits}(?:\\.(?:${digits})?)?|\\.${digits})(?:[eE][+-]?${digits})?$`,
);

/** Python's float(word) for one whitespace-free word; undefined where Python raises ValueError. */
function pythonFloat(word: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(word)) return word.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(word)) return Number.NaN;
  return floatLiteral.test(word) ? Number(word.replaceAll("_", "")) : undefined;
}

/** A Python number as TAT-QA's helpers produce it: an int (exact) or a float. */
type PyNumber = { int: bigint } | { float: number };

const asFloat = (n: PyNumber) => ("int" in n ? Number(n.int) : n.float);

/** tatqa_utils.scale_to_num: 1 (an int) when no scale word is in `scale`. */
function scaleToNum(scale: string): PyNumber {
  const s = scale.toLowerCase();
  if (s.includes("hundred")) return { int: 100n };
  if (s.includes("thousand")) return { int: 1000n };
  if (s.includes("million")) return { int: 1000000n };
  if (s.includes("billion")) return { int: 1000000000n };
  if (s.includes("percent")) return { float: 0.01 };
  return { int: 1n };
}

const isOne = (n: PyNumber) => "int" in n && n.int === 1n;

/** tatqa_utils.is_number. */
export function isNumber(text: string): boolean {
  const words = pythonSplit(pythonSplit(text).map(cleanNum).join(" "));
  if (words.length === 0) return false;
  const num = pythonFloat(words[0] as string);
  if (num === undefined || Number.isNaN(num)) return false;
  if (words.length >= 2 && isOne(scaleToNum(words[1] as string))) return false;
  return true;
}

/** tatqa_utils.extract_one_num_from_str: the first match's first group, int or float. */
function extractOneNum(text: string): PyNumber | undefined {
  const match = /([+-]?\d+(\.\d+)?)|([+-]?\.\d+)/.exec(cleanNum(text));
  const num = match?.[1];
  if (num === undefined || num === "") return undefined;
  return num.includes(".") ? { float: Number(num) } : { int: BigInt(num) };
}

/**
 * Python's `round(x, digits)` for a float: to the nearest multiple of 10^-digits of the exact
 * binary value (toFixed(100) writes it exactly above 1e-30, and below that the result is 0), an
 * exact tie to the even neighbour.
 */
export function pythonRound(x: number, digits: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return x;
  const [whole = "0", frac = ""] = Math.abs(x).toFixed(100).split(".");
  const kept = frac.slice(0, digits);
  const rest = frac.slice(digits);
  const last = Number(kept.at(-1) ?? whole.at(-1));
  let rounded = Number(`${whole}.${kept || "0"}`);
  const up =
    (rest[0] ?? "0") > "5" ||
    (rest.startsWith("5") && /[1-9]/.test(rest.slice(1))) ||
    (/^50*$/.test(rest) && last % 2 === 1);
  if (up) rounded = Number((rounded + 10 ** -digits).toFixed(digits));
  return Math.sign(x) * rounded || 0 * x;
}

/** numpy's `round(x, digits)` (what Python's round calls on a numpy float): rint(x·10^d) / 10^d. */
export function numpyRound(x: number, digits: number): number {
  const scale = 10 ** digits;
  const y = x * scale;
  const floor = Math.floor(y);
  const diff = y - floor;
  const rint = diff > 0.5 || (diff === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  return rint / scale;
}

/** `'%.4f' % x`: Python formats the exact binary value, ties to even, as round does. */
function format4(x: number): string {
  if (Math.abs(x) >= 1e21) return `${BigInt(x)}.0000`;
  const r = pythonRound(x, 4);
  return Object.is(r, -0) || (r === 0 && Object.is(0 * x, -0)) ? "-0.0000" : r.toFixed(4);
}

/** Python's `str()` of a float: the shortest repr, in exponent form below 1e-4 or from 1e16. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, exponentText] = x.toExponential().split("e") as [string, string];
  const exponent = Number(exponentText);
  const sign = mantissa.startsWith("-") ? "-" : "";
  const digits = mantissa.replace("-", "").replace(".", "");
  if (exponent < -4 || exponent >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exponent).toString().padStart(2, "0");
    return `${sign}${m}e${exponent < 0 ? "-" : "+"}${e}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const intPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  const fracPart = digits.slice(exponent + 1);
  return `${sign}${intPart}.${fracPart || "0"}`;
}

/** tatqa_utils.to_number: the first number, times its scale word, sign and percent. */
function toNumber(text: string): PyNumber | undefined {
  const num = extractOneNum(text);
  if (num === undefined) return undefined;
  const scaleWord = /([\d.]+\s?[a-zA-Z]+)/.exec(text);
  const scale = scaleWord ? scaleToNum((scaleWord[1] as string).toLowerCase()) : { int: 1n };
  const negative: PyNumber = { int: /(\([\d.\s]+\))/.test(text.trim()) ? -1n : 1n };
  const percent: PyNumber = /([\d.\s]+%)/.test(text.trim()) ? { float: 0.01 } : { int: 1n };
  // round(num * scale_val * negative_flag * percent_flag, 4): Python's types, left to right.
  const product = multiply(multiply(multiply(num, scale), negative), percent);
  return "int" in product ? product : { float: pythonRound(product.float, 4) };
}

/** Python's `a * b`: exact for two ints, else in floats. */
function multiply(a: PyNumber, b: PyNumber): PyNumber {
  return "int" in a && "int" in b ? { int: a.int * b.int } : { float: asFloat(a) * asFloat(b) };
}

const pyStr = (n: PyNumber | undefined) =>
  n === undefined ? "None" : "int" in n ? n.int.toString() : pythonFloatRepr(n.float);

/** tatqa_utils.normalize_answer: per space-separated token, lower, punctuation, numbers, articles. */
export function normalizeTatqa(text: string): string {
  const parts = text.split(" ").map((token) => {
    let t = token.toLowerCase();
    if (!isNumber(t)) t = [...t].filter((ch) => !punctuation.has(ch)).join("");
    if (isNumber(t)) t = pyStr(toNumber(t));
    t = t.replace(/(?<![\p{L}\p{N}_])(a|an|the)(?![\p{L}\p{N}_])/gu, " ");
    return pythonSplit(t).join(" ");
  });
  return parts
    .filter((part) => pythonSplit(part).length > 0)
    .join(" ")
    .trim();
}

/** Python's `sorted` of strings: by code point. */
function sortedByCodePoint(values: readonly string[]): string[] {
  const key = (s: string) => [...s].map((c) => c.codePointAt(0) as number);
  return [...values].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++)
      if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
    return x.length - y.length;
  });
}

/** tatqa_metric.get_answer_str: the answers sorted, numbers as '%.4f' with the scale applied, joined. */
function answerString(answers: readonly string[], scale: string): string {
  return sortedByCodePoint(answers)
    .map((answer) => {
      if (!isNumber(answer)) return scale ? `${answer} ${scale}` : answer;
      const n = toNumber(answer);
      if (n === undefined) return scale ? `${answer} ${scale}` : answer;
      if (answer.includes("%")) return format4(asFloat(n));
      // '%.4f' % (round(ans_num, 2) * scale_to_num(scale)); round of an int is the int.
      const rounded: PyNumber = "int" in n ? n : { float: pythonRound(n.float, 2) };
      return format4(asFloat(multiply(rounded, scaleToNum(scale))));
    })
    .join(" ");
}

/** tatqa_metric.get_metrics for one predicted and one gold string: (exact match, F1 rounded to 2). */
function getMetrics(predicted: string, gold: string): [number, number] {
  const p = normalizeTatqa(predicted);
  const g = normalizeTatqa(gold);
  const em = p === g ? 1 : 0;
  const pBag = new Set(pythonSplit(p));
  const gBag = new Set(pythonSplit(g));
  let common = 0;
  for (const token of pBag) if (gBag.has(token)) common++;
  const precision = pBag.size === 0 ? 1 : common / pBag.size;
  const recall = gBag.size === 0 ? 1 : common / gBag.size;
  const f1 = precision === 0 && recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  // np.mean gives a numpy float, whose round() is numpy's.
  return [em, numpyRound(f1, 2)];
}

/** The gold answers as `extract_gold_answers` lists them. */
function goldAnswers(gold: TatqaGold): string[] {
  const type = gold.answer_type;
  if (type === "span" || type === "multi-span") return [...(gold.answer as readonly string[])];
  const answer = gold.answer as string | number;
  const text = typeof answer === "number" ? pythonFloatRepr(answer) : answer;
  if (type === "count") {
    const n = typeof answer === "number" ? answer : Number(answer);
    return [Number.isFinite(n) ? Math.trunc(n).toString() : String(answer)];
  }
  // A JSON integer is a Python int: no ".0".
  return [typeof answer === "number" && Number.isInteger(answer) ? String(answer) : text];
}

/** (exact match, F1) of one prediction against one question, as `TaTQAEmAndF1.__call__`. */
export function tatqaScores(prediction: string, gold: TatqaGold): { em: number; f1: number } {
  if (prediction === "") return { em: 0, f1: 0 };
  const answers = goldAnswers(gold);
  if (answers.length === 0) return { em: 0, f1: 0 };
  const goldString = answerString(answers, gold.scale);
  const predictions = [answerString([prediction], "")];
  // add_percent_pred: a plain number may be the fraction of a percentage.
  if (!prediction.includes("%") && isNumber(prediction)) {
    const n = toNumber(prediction);
    if (n !== undefined) predictions.push(format4(asFloat(n)));
  }
  // metric_max_over_ground_truths: the largest (em, f1) pair, compared as Python compares tuples.
  let best: [number, number] = [-1, -1];
  for (const p of predictions) {
    const score = getMetrics(p, goldString);
    if (score[0] > best[0] || (score[0] === best[0] && score[1] > best[1])) best = score;
  }
  const [em, f1] = best;
  return { em, f1: gold.answer_type === "arithmetic" || gold.answer_type === "count" ? em : f1 };
}

/** One item's (em, f1), computed once for both metrics. */
const scored = new WeakMap<GenerateOutcome, { em: number; f1: number }>();
function scoresOf(outcome: GenerateOutcome): { em: number; f1: number } {
  let scores = scored.get(outcome);
  if (!scores) {
    scores = tatqaScores(outcome.prediction, goldOf(outcome));
    scored.set(outcome, scores);
  }
  return scores;
}

function goldOf(outcome: GenerateOutcome): TatqaGold {
  const problem = tatqaGoldProblem(outcome.gold);
  if (problem !== undefined) throw new TypeError(`TAT-QA gold ${problem}`);
  return outcome.gold as unknown as TatqaGold;
}

export const tatqaEm: Metric<GenerateOutcome> = {
  id: "tatqa_em",
  description:
    "TAT-QA's exact match (its authors' tatqa_metric.py): numbers compared with their scale, sign and percent as '%.4f' strings, text normalised as DROP does.",
  higherIsBetter: true,
  aggregation: "mean",
  taskTypes: ["generate"],
  isItem: isFiniteNumber,
  aggregate: meanAggregate,
  score: (outcome) => scoresOf(outcome).em,
};

export const tatqaF1: Metric<GenerateOutcome> = {
  id: "tatqa_f1",
  description:
    "TAT-QA's F1 (its authors' tatqa_metric.py): token-bag F1 of the normalised answer strings, rounded to 2 decimals; for arithmetic and count questions, the exact match.",
  higherIsBetter: true,
  aggregation: "mean",
  taskTypes: ["generate"],
  isItem: isFiniteNumber,
  aggregate: meanAggregate,
  score: (outcome) => scoresOf(outcome).f1,
};
