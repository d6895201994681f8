import { describe, expect, it } from "vitest";
import {
  normalizeTatqa,
  numpyRound,
  pythonFloatRepr,
  pythonRound,
  type TatqaGold,
  tatqaEm,
  tatqaF1,
  tatqaGoldProblem,
  tatqaScores,
} from "./tatqa.ts";

// Expected values: TaTQAEmAndF1.__call__(ground_truth, prediction, pred_scale="") of the authors'
// tatqa_metric.py (NExTplusplus/TAT-QA at c54088c5a177db014aac10bbfc57b4d26eb8879b) with their
// tatqa_utils.py, run under Python 3 with numpy 2.4 and scipy 1.17 on each row; the comment says
// why the figure is what it is.
const cases: [string, TatqaGold, number, number][] = [
  [
    "the modified retrospective method",
    { answer: ["the modified retrospective method"], answer_type: "span", scale: "" },
    1,
    1,
  ],
  // tokens {modified, retrospective} against {modified, retrospective, method}: F1 0.8
  [
    "modified retrospective",
    { answer: ["the modified retrospective method"], answer_type: "span", scale: "" },
    0,
    0.8,
  ],
  // the scale word multiplies: 12500000.0000 both sides
  ["12.5 million", { answer: 12.5, answer_type: "arithmetic", scale: "million" }, 1, 1],
  ["12500000", { answer: 12.5, answer_type: "arithmetic", scale: "million" }, 1, 1],
  // no scale in the answer: 12.5000 against 12500000.0000
  ["12.5", { answer: 12.5, answer_type: "arithmetic", scale: "million" }, 0, 0],
  ["12.5%", { answer: 12.5, answer_type: "arithmetic", scale: "percent" }, 1, 1],
  // add_percent_pred: a bare fraction matches the percentage
  ["0.125", { answer: 12.5, answer_type: "arithmetic", scale: "percent" }, 1, 1],
  ["-3.4", { answer: -3.4, answer_type: "arithmetic", scale: "" }, 1, 1],
  // parentheses are a minus sign
  ["(3.4)", { answer: -3.4, answer_type: "arithmetic", scale: "" }, 1, 1],
  // without "thousand" the number is a thousand times smaller
  ["$1,234.56", { answer: 1234.56, answer_type: "arithmetic", scale: "thousand" }, 0, 0],
  ["1,234.56 thousand", { answer: 1234.56, answer_type: "arithmetic", scale: "thousand" }, 1, 1],
  ["2", { answer: "2", answer_type: "count", scale: "" }, 1, 1],
  ["two", { answer: "2", answer_type: "count", scale: "" }, 0, 0],
  // the gold spans are sorted and read as one number (2018.0000 2019.0000 is not a number: the
  // first span is, so the string becomes one number's '%.4f'); F1 = EM for none of these
  ["2019 and 2018", { answer: ["2018", "2019"], answer_type: "multi-span", scale: "" }, 0, 0],
  ["2019, 2018", { answer: ["2018", "2019"], answer_type: "multi-span", scale: "" }, 0, 0],
  // sorted gold "Cost of sales Revenue": same token bag, different string
  [
    "Revenue; Cost of sales",
    { answer: ["Cost of sales", "Revenue"], answer_type: "multi-span", scale: "" },
    0,
    1,
  ],
  ["5.2 million", { answer: ["5.2"], answer_type: "span", scale: "million" }, 1, 1],
  ["The answer is 5.2", { answer: ["5.2"], answer_type: "span", scale: "million" }, 0, 0],
  ["", { answer: ["x"], answer_type: "span", scale: "" }, 0, 0],
  // articles go
  ["an apple a day", { answer: ["apple day"], answer_type: "span", scale: "" }, 1, 1],
  // the gold is str(1e-05) = "1e-05", read as the number 1
  ["0.00001", { answer: 1e-5, answer_type: "arithmetic", scale: "" }, 0, 0],
  ["1.005", { answer: 1.005, answer_type: "arithmetic", scale: "" }, 1, 1],
  ["1.01", { answer: 1.005, answer_type: "arithmetic", scale: "" }, 0, 0],
  ["inf", { answer: 3, answer_type: "arithmetic", scale: "" }, 0, 0],
  // 3.14159 billion is 3141590000, not 3.14 billion
  ["3.14159 billion dollars", { answer: 3.14, answer_type: "arithmetic", scale: "billion" }, 0, 0],
  [
    "net income rose by 7.5 percent",
    { answer: ["7.5"], answer_type: "span", scale: "percent" },
    0,
    0,
  ],
];

describe("TAT-QA exact match and F1 (the authors' tatqa_metric.py)", () => {
  it.each(cases)("%j against %j: em %d, f1 %d", (prediction, gold, em, f1) => {
    expect(tatqaScores(prediction, gold)).toEqual({ em, f1 });
    const outcome = { prediction, references: [], gold: gold as never };
    expect([tatqaEm.score(outcome), tatqaF1.score(outcome)]).toEqual([em, f1]);
  });

  // tatqa_utils.normalize_answer on each string, same run.
  it.each([
    ["The 1,234.5 Million", "1234.5 million"],
    ["(12.30)", "-12.3"],
    ["12%", "0.12"],
    ["a 5 b", "5 b"],
    ["1e5", "1"],
    ["0.1 + 0.2", "0.1 0.2"],
    ["one.two", "onetwo"],
    ["$ 3,000", "3000"],
    ["3 thousand", "3 thousand"],
    // is_number accepts what float() reads, then no number is found: str(None)
    ["-.5", "None"],
    [".5", "None"],
    ["10_000", "10"],
    ["Nan", "nan"],
    ["1/2", "12"],
  ])("normalize_answer(%j) is %j", (text, expected) => {
    expect(normalizeTatqa(text)).toBe(expected);
  });
});

describe("Python's number formatting and rounding", () => {
  it.each([
    // Python: repr(x)
    [12.0, "12.0"],
    [1e-5, "1e-05"],
    [0.0001, "0.0001"],
    [1e16, "1e+16"],
    [1234567890123456.0, "1234567890123456.0"],
    [-0.5, "-0.5"],
    [0.1 + 0.2, "0.30000000000000004"],
    [1.5e-7, "1.5e-07"],
    [-0.0, "-0.0"],
  ])("str(%d) is %j", (x, expected) => {
    expect(pythonFloatRepr(x)).toBe(expected);
  });

  it.each([
    // Python: round(x, n), from the exact binary value, ties to even
    [2.675, 2, 2.67], // 2.67499999999999982236431605997495353221893310546875
    [0.125, 2, 0.12], // an exact tie: to even
    [0.375, 2, 0.38],
    [1.005, 2, 1.0], // 1.00499999999999989341858963598497211933135986328125
    [-2.5, 0, -2],
    [12345.67891, 4, 12345.6789],
    [-0.00001, 4, -0],
  ])("round(%d, %d) is %d", (x, n, expected) => {
    expect(Object.is(pythonRound(x, n), expected)).toBe(true);
  });

  it("rounds a numpy float as numpy does: rint(x * 100) / 100", () => {
    // numpy.round(0.285, 2): 28.499999999999996 → 28; numpy.round(0.125, 2): 12.5 → 12 (even)
    expect([numpyRound(0.285, 2), numpyRound(0.125, 2), numpyRound(2 / 3, 2)]).toEqual([
      0.28, 0.12, 0.67,
    ]);
  });
});

describe("TAT-QA gold", () => {
  it.each([
    [{ answer: ["a"], answer_type: "span", scale: "" }, undefined],
    [{ answer: 3, answer_type: "arithmetic", scale: "million" }, undefined],
    [{ answer: "3", answer_type: "count", scale: "" }, undefined],
    [[1], "is not an object with answer, answer_type and scale"],
    [
      { answer: ["a"], answer_type: "date", scale: "" },
      "answer_type is not one of span, multi-span, arithmetic, count",
    ],
    [
      { answer: ["a"], answer_type: "span", scale: "trillion" },
      'scale is not one of "", thousand, million, billion, percent',
    ],
    [
      { answer: "a", answer_type: "span", scale: "" },
      "answer of a span question is not a list of strings",
    ],
    [
      { answer: [1], answer_type: "arithmetic", scale: "" },
      "answer of a arithmetic question is not a number or a string",
    ],
  ])("%j: %s", (gold, problem) => {
    expect(tatqaGoldProblem(gold)).toBe(problem);
  });
});
