import { describe, expect, it } from "vitest";
import {
  defaultExactMatch,
  type ExactMatchOptions,
  exactMatch,
  pythonRegex,
} from "./exact-match.ts";

const corpus = (options: ExactMatchOptions, refs: string[], preds: string[]) => {
  const metric = exactMatch(options);
  return metric.aggregate(
    preds.map((prediction, i) => metric.score({ prediction, references: [refs[i] as string] })),
  ).value;
};

// Reference: Hugging Face evaluate, metrics/exact_match/exact_match.py, the docstring examples
// (_KWARGS_DESCRIPTION), which lm-evaluation-harness's exact_match_hf_evaluate
// (lm_eval/api/metrics.py) ports unchanged apart from evaluate's later empty-string rule.
describe("exact_match: evaluate's docstring examples", () => {
  const refs = ["the cat", "theater", "YELLING", "agent007"];
  const preds = ["cat?", "theater", "yelling", "agent"];
  it.each([
    { options: {}, expected: 0.25 },
    {
      options: { regexesToIgnore: ["the ", "yell"], ignoreCase: true, ignorePunctuation: true },
      expected: 0.5,
    },
    {
      options: {
        regexesToIgnore: ["the ", "yell", "YELL"],
        ignoreCase: true,
        ignorePunctuation: true,
      },
      expected: 0.75,
    },
    {
      options: {
        regexesToIgnore: ["the ", "yell", "YELL"],
        ignoreCase: true,
        ignorePunctuation: true,
        ignoreNumbers: true,
      },
      expected: 1,
    },
  ])("$options -> $expected", ({ options, expected }) => {
    expect(corpus(options, refs, preds)).toBe(expected);
  });

  it("sentences -> 0.33", () => {
    const value = corpus(
      {},
      ["The cat sat on the mat.", "Theaters are great.", "It's like comparing oranges and apples."],
      ["The cat sat on the mat?", "Theaters are great.", "It's like comparing apples and oranges."],
    );
    expect(value).toBeCloseTo(1 / 3, 12);
  });
});

// Cases worked by hand from the same code: re.sub per regex, then str.lower, then
// str.translate deleting string.punctuation, then string.digits; numpy `==` per element.
describe("exact_match: one item", () => {
  // gsm8k's options in lm-evaluation-harness (tasks/gsm8k/gsm8k.yaml).
  const gsm8k = {
    ignoreCase: true,
    ignorePunctuation: false,
    regexesToIgnore: [",", "\\$", "(?s).*#### ", "\\.$"],
  };
  it.each([
    { options: {}, prediction: "", references: [""], expected: 1 },
    { options: {}, prediction: "", references: ["a"], expected: 0 },
    { options: {}, prediction: "a", references: [], expected: 0 },
    { options: {}, prediction: "Paris", references: ["paris"], expected: 0 },
    { options: { ignoreCase: true }, prediction: "Paris", references: ["paris"], expected: 1 },
    // several references: 1 when any matches
    { options: {}, prediction: "b", references: ["a", "b", "c"], expected: 1 },
    // whitespace is never trimmed
    { options: {}, prediction: "Paris ", references: ["Paris"], expected: 0 },
    // punctuation-only collapses to the empty string, which then equals another
    { options: { ignorePunctuation: true }, prediction: "?!", references: ["..."], expected: 1 },
    // string.punctuation is ASCII: the ideographic full stop and the curly quote stay
    { options: { ignorePunctuation: true }, prediction: "是。", references: ["是"], expected: 0 },
    { options: { ignorePunctuation: true }, prediction: "it’s", references: ["its"], expected: 0 },
    { options: { ignorePunctuation: true }, prediction: "it's", references: ["its"], expected: 1 },
    // str.lower is Unicode
    { options: { ignoreCase: true }, prediction: "ÉTÉ", references: ["été"], expected: 1 },
    { options: { ignoreNumbers: true }, prediction: "a1b2", references: ["ab"], expected: 1 },
    // string.digits is ASCII: Arabic-Indic digits stay
    { options: { ignoreNumbers: true }, prediction: "a١", references: ["a"], expected: 0 },
    // regexes run before lowercasing
    {
      options: { regexesToIgnore: ["a"], ignoreCase: true },
      prediction: "A",
      references: [""],
      expected: 0,
    },
    { options: gsm8k, prediction: "so #### 1,234.", references: ["1234"], expected: 1 },
    { options: gsm8k, prediction: "line\n#### $72", references: ["72"], expected: 1 },
    // Python's `$` also matches before a final newline
    { options: gsm8k, prediction: "#### 72.\n", references: ["72\n"], expected: 1 },
    { options: gsm8k, prediction: "#### 7.2", references: ["72"], expected: 0 },
    // numpy's fixed-width strings ignore trailing NULs
    { options: {}, prediction: "a\0", references: ["a"], expected: 1 },
  ])(
    "$options: $prediction vs $references -> $expected",
    ({ options, prediction, references, expected }) => {
      expect(exactMatch(options).score({ prediction, references })).toBe(expected);
    },
  );
});

describe("pythonRegex", () => {
  it.each([
    { pattern: "(?s).*#### ", text: "a\nb#### 5", expected: "5" },
    { pattern: "(?i)the ", text: "The cat", expected: "cat" },
    { pattern: "\\.$", text: "5.\n", expected: "5\n" },
    { pattern: "\\.$", text: "5.\n\n", expected: "5.\n\n" },
    { pattern: "\\Ax", text: "xx", expected: "x" },
    { pattern: "x\\Z", text: "xx\n", expected: "xx\n" },
    { pattern: "[$]", text: "$5$", expected: "5" },
    { pattern: "[]x]", text: "]x5", expected: "5" },
    { pattern: "(?P<d>\\d)(?P=d)", text: "1122a", expected: "a" },
  ])("re.sub($pattern, '', $text)", ({ pattern, text, expected }) => {
    expect(text.replace(pythonRegex(pattern), "")).toBe(expected);
  });

  it("rejects flags JavaScript cannot honour and patterns that do not compile", () => {
    expect(() => pythonRegex("(?x) a")).toThrow(SyntaxError);
    expect(() => exactMatch({ regexesToIgnore: ["("] })).toThrow(SyntaxError);
  });
});

describe("exact_match: contract", () => {
  it.each([
    { value: 0, ok: true },
    { value: 1, ok: true },
    { value: 0.5, ok: false },
    { value: Number.NaN, ok: false },
    { value: "1", ok: false },
    { value: null, ok: false },
    { value: [1], ok: false },
  ])("isItem($value) -> $ok", ({ value, ok }) => {
    expect(defaultExactMatch.isItem(value)).toBe(ok);
  });

  it("aggregates as a mean with lm-eval's mean_stderr; nothing for no items", () => {
    expect(defaultExactMatch.aggregate([])).toEqual({ value: null, stderr: null });
    expect(defaultExactMatch.aggregate([1])).toEqual({ value: 1, stderr: null });
    // sample stddev of [1, 0, 1, 0] is sqrt(1/3); / sqrt(4)
    const { value, stderr } = defaultExactMatch.aggregate([1, 0, 1, 0]);
    expect(value).toBe(0.5);
    expect(stderr).toBeCloseTo(Math.sqrt(1 / 3) / 2, 12);
  });

  it("declares itself", () => {
    const { id, higherIsBetter, aggregation, taskTypes } = exactMatch({ ignoreCase: true });
    expect({ id, higherIsBetter, aggregation, taskTypes }).toEqual({
      id: "exact_match",
      higherIsBetter: true,
      aggregation: "mean",
      taskTypes: ["generate"],
    });
  });
});
