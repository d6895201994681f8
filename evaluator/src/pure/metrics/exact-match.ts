import { translatePattern } from "../filters.ts";
import { isFiniteNumber, meanAggregate } from "./mean.ts";
import type { GenerateOutcome, Metric } from "./types.ts";

/** The options a task gives `exact_match` (lm-evaluation-harness's `metric_list` kwargs). */
export interface ExactMatchOptions {
  /** Python-style regular expressions whose matches are deleted first, in order. */
  regexesToIgnore?: readonly string[];
  ignoreCase?: boolean;
  /** Delete ASCII punctuation (Python's `string.punctuation`). */
  ignorePunctuation?: boolean;
  /** Delete ASCII digits (Python's `string.digits`). */
  ignoreNumbers?: boolean;
}

// Python's string.punctuation and string.digits: ASCII only, as str.translate deletes them.
const punctuation = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
const digits = /[0-9]/g;

/**
 * Translates the parts of Python `re` syntax that JavaScript reads differently: global inline
 * flags at the start (`(?s)`, `(?i)`, `(?m)`), `\A`, `\Z`, `(?P<name>` and `(?P=name)`, and `$`,
 * which in Python (without MULTILINE) also matches before a final newline. Other differences
 * remain: without the `u` flag `\d`, `\w` and `\b` are ASCII in JavaScript and Unicode in Python.
 */
export function pythonRegex(pattern: string): RegExp {
  const { source, flags } = translatePattern(pattern);
  return new RegExp(source, `g${flags}u`);
}

/**
 * lm-evaluation-harness's `exact_match` (`exact_match_hf_evaluate` in `lm_eval/api/metrics.py`,
 * ported from Hugging Face evaluate): delete each regex's matches, then optionally lowercase,
 * delete ASCII punctuation and delete ASCII digits, in that order, and compare. With several
 * references the item scores 1 when any matches (`ConfigurableTask.process_results`).
 *
 * Throws `SyntaxError` for a regular expression that does not compile.
 */
export function exactMatch(options: ExactMatchOptions = {}): Metric<GenerateOutcome> {
  const regexes = (options.regexesToIgnore ?? []).map(pythonRegex);
  const normalise = (text: string): string => {
    let out = text;
    for (const regex of regexes) out = out.replace(regex, "");
    if (options.ignoreCase) out = out.toLowerCase();
    if (options.ignorePunctuation) out = out.replace(punctuation, "");
    if (options.ignoreNumbers) out = out.replace(digits, "");
    // numpy compares fixed-width unicode arrays, which ignore trailing NUL characters.
    let end = out.length;
    while (end > 0 && out[end - 1] === "\0") end--;
    return out.slice(0, end);
  };
  return {
    id: "exact_match",
    description:
      "Share of items (0–1) whose prediction equals a reference exactly, after the task's ignore options.",
    higherIsBetter: true,
    aggregation: "mean",
    taskTypes: ["generate"],
    isItem: (value: unknown): value is number =>
      isFiniteNumber(value) && (value === 0 || value === 1),
    aggregate: meanAggregate,
    score: ({ prediction, references }) => {
      const predicted = normalise(prediction);
      return references.some((reference) => normalise(reference) === predicted) ? 1 : 0;
    },
  };
}

/** `exact_match` with lm-evaluation-harness's defaults: no option set. */
export const defaultExactMatch = exactMatch();
