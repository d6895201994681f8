import { describe, expect, it } from "vitest";
import { acc } from "./acc.ts";
import { accNorm } from "./acc-norm.ts";

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
      const outcome = { loglikelihoods: lls, choiceChars: chars, gold };
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
