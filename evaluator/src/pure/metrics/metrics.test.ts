import { describe, expect, it } from "vitest";
import { acc } from "./acc.ts";
import { accBytes } from "./acc-bytes.ts";
import { accNorm } from "./acc-norm.ts";
import { balancedAcc } from "./balanced-acc.ts";
import { mc1, mc2 } from "./mc.ts";

// Reference: lm-evaluation-harness lm_eval/api/task.py, ConfigurableTask.process_results for
// output_type "multiple_choice": pred = np.argmax(lls); pred_norm = np.argmax(lls / completion_len)
// with completion_len = [float(len(c)) for c in choices]; acc = 1.0 if pred in gold else 0.0.
describe("acc and acc_norm", () => {
  it.each([
    // lls, choice lengths, gold, acc, acc_norm: worked by hand below each row
    { lls: [-1, -2, -3], chars: [1, 1, 1], gold: [0], acc: 1, accNorm: 1 },
    // raw: argmax is 0 (-4); per char: -4/4=-1, -6/12=-0.5 -> 1
    { lls: [-4, -6], chars: [4, 12], gold: [1], acc: 0, accNorm: 1 },
    { lls: [-4, -6], chars: [4, 12], gold: [0], acc: 1, accNorm: 0 },
    // ties go to the first index, as numpy.argmax
    { lls: [-2, -2, -5], chars: [3, 3, 1], gold: [1], acc: 0, accNorm: 0 },
    { lls: [-2, -2, -5], chars: [3, 3, 1], gold: [0], acc: 1, accNorm: 1 },
    // several gold answers: correct if the prediction is any of them
    { lls: [-9, -1, -3], chars: [2, 2, 2], gold: [0, 1], acc: 1, accNorm: 1 },
    // -inf loses; one point
    { lls: [Number.NEGATIVE_INFINITY, -30], chars: [5, 10], gold: [1], acc: 1, accNorm: 1 },
    // ARC-like: raw favours the short choice, per-character the long one
    { lls: [-3.2, -7.5, -9.1, -4.0], chars: [2, 10, 14, 3], gold: [2], acc: 0, accNorm: 1 },
  ])(
    "lls $lls chars $chars gold $gold -> acc $acc acc_norm $accNorm",
    ({ lls, chars, gold, acc: a, accNorm: n }) => {
      const outcome = { loglikelihoods: lls, choiceChars: chars, choiceBytes: chars, gold };
      expect([acc.score(outcome), accNorm.score(outcome)]).toEqual([a, n]);
    },
  );

  it("declare their direction and task type", () => {
    expect([acc.higherIsBetter, accNorm.higherIsBetter, acc.taskTypes, accNorm.id]).toEqual([
      true,
      true,
      ["multiple_choice"],
      "acc_norm",
    ]);
  });
});

// Reference: lm-evaluation-harness lm_eval/api/task.py, process_results for multiple_choice:
// completion_len = [float(len(i)) for i in choices] (Python len: code points);
// byte_length = [float(len(i.encode("utf-8"))) for i in choices]; pred_byte = np.argmax(lls / byte_length).
describe("acc_bytes", () => {
  const lengths = (choices: string[]) => ({
    choiceChars: choices.map((c) => [...c].length),
    choiceBytes: choices.map((c) => new TextEncoder().encode(c).length),
  });
  it.each([
    // "é" is 1 code point and 2 bytes: per char -2 vs -1 picks 1, per byte -1 vs -1 ties -> 0
    { lls: [-2, -3], choices: ["é", "abc"], gold: [0], acc: 1, accNorm: 0, accBytes: 1 },
    { lls: [-2, -3], choices: ["é", "abc"], gold: [1], acc: 0, accNorm: 1, accBytes: 0 },
    // an emoji is 1 code point (2 UTF-16 units) and 4 bytes
    { lls: [-4, -3], choices: ["😀", "ab"], gold: [0], acc: 0, accNorm: 0, accBytes: 1 },
  ])("lls $lls choices $choices gold $gold", ({ lls, choices, gold, ...expected }) => {
    const outcome = { loglikelihoods: lls, gold, ...lengths(choices) };
    expect({
      acc: acc.score(outcome),
      accNorm: accNorm.score(outcome),
      accBytes: accBytes.score(outcome),
    }).toEqual(expected);
  });
});

// Reference: lm-evaluation-harness lm_eval/tasks/truthfulqa: truthfulqa_mc1 is multiple_choice with
// gold 0 and metric acc; truthfulqa_mc2's utils.process_results_mc2 splits lls into true and
// false answers and returns sum(p_true) with p = exp(ll) / (sum(p_true) + sum(p_false)).
describe("mc1 and mc2", () => {
  const outcome = (lls: number[], gold: number[]) => ({
    loglikelihoods: lls,
    choiceChars: lls.map(() => 1),
    choiceBytes: lls.map(() => 1),
    gold,
  });
  it.each([
    // true answers first, as in mc2_targets: p_true = e^-1 + e^-2, p_false = e^-3
    {
      lls: [-1, -2, -3],
      gold: [0, 1],
      mc1: 1,
      mc2: (Math.exp(-1) + Math.exp(-2)) / (Math.exp(-1) + Math.exp(-2) + Math.exp(-3)),
    },
    {
      lls: [-3, -1, -2],
      gold: [0],
      mc1: 0,
      mc2: Math.exp(-3) / (Math.exp(-3) + Math.exp(-1) + Math.exp(-2)),
    },
    { lls: [-0.5, -0.5], gold: [1], mc1: 0, mc2: 0.5 },
    // numpy's exp underflows to 0 here and lm-eval gets 0/0; log space still gives the ratio
    { lls: [-800, -900], gold: [0], mc1: 1, mc2: 1 / (1 + Math.exp(-100)) },
  ])("lls $lls gold $gold", ({ lls, gold, mc1: m1, mc2: m2 }) => {
    expect(mc1.score(outcome(lls, gold))).toBe(m1);
    expect(mc2.score(outcome(lls, gold))).toBeCloseTo(m2, 12);
  });
});

// Reference: scikit-learn sklearn/metrics/_classification.py, balanced_accuracy_score, whose
// docstring example gives 0.625 for y_true = [0, 1, 0, 0, 1, 0], y_pred = [0, 1, 0, 0, 0, 1]
// (recall of class 0 is 3/4, of class 1 is 1/2). LegalBench's evaluation.py scores its
// classification tasks with it.
describe("balanced_acc", () => {
  const items = (gold: number[], pred: number[]) =>
    gold.map((g, i) => ({ gold: g, pred: pred[i] as number }));

  it.each([
    ["scikit-learn's docstring example", [0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1], 0.625],
    ["all right", [2, 0, 1], [2, 0, 1], 1],
    [
      "a class only predicted is left out (scikit-learn drops its NaN recall)",
      [0, 0, 1],
      [0, 2, 1],
      0.75,
    ],
    ["one class: plain accuracy", [1, 1, 1, 1], [1, 0, 1, 1], 0.75],
    ["always the majority class: 1 / number of classes", [0, 0, 0, 1, 2], [0, 0, 0, 0, 0], 1 / 3],
  ])("%s", (_, gold, pred, expected) => {
    expect(balancedAcc.aggregate(items(gold, pred)).value).toBeCloseTo(expected, 12);
  });

  it("scores the highest-log-likelihood choice against the first gold one", () => {
    const outcome = {
      loglikelihoods: [-3, -1, -2],
      choiceChars: [1, 1, 1],
      choiceBytes: [1, 1, 1],
      gold: [2],
    };
    expect(balancedAcc.score(outcome)).toEqual({ gold: 2, pred: 1 });
    expect(balancedAcc.aggregate([]).value).toBeNull();
  });

  it.each([
    [{ gold: 0, pred: 1 }, true],
    [{ gold: -1, pred: 1 }, false],
    [{ gold: 0.5, pred: 1 }, false],
    [{ gold: 0, pred: 1, extra: 2 }, false],
    [[0, 1], false],
    [1, false],
    [null, false],
  ])("recognises its stored item %j: %s", (value, ok) => {
    expect(balancedAcc.isItem(value)).toBe(ok);
  });
});
