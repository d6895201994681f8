import { describe, expect, it } from "vitest";
import { distinctMetrics, distinctN } from "./distinct.ts";

// Li et al. 2016 (NAACL), section 4.3: "distinct-1 and distinct-2 are respectively the number of
// distinct unigrams and bigrams divided by total number of generated words" (here: by the number
// of n-grams, as most implementations compute it, e.g. for distinct-3). Worked by hand.
describe("distinct-n", () => {
  const items = [{ tokens: ["a", "b", "a", "b"] }, { tokens: ["a", "c"] }];
  it.each([
    [1, 3 / 6], // a b a b a c: {a, b, c} of 6
    [2, 3 / 4], // (a b) (b a) (a b) | (a c): 3 distinct of 4; none across generations
    [3, 2 / 2], // (a b a) (b a b); "a c" has none
  ])("distinct-%i", (n, expected) => {
    expect(distinctN(items, n)).toBeCloseTo(expected, 12);
  });

  it("reads whitespace tokens of the answer, and is 0 with no n-grams", () => {
    const metric = distinctMetrics.distinct_2;
    expect(metric.score({ prediction: " the  cat\nsat ", references: [] })).toEqual({
      tokens: ["the", "cat", "sat"],
    });
    expect(metric.aggregate([{ tokens: ["one"] }]).value).toBe(0);
    expect(metric.aggregate([]).value).toBeNull();
    expect([
      metric.isItem({ tokens: ["a"] }),
      metric.isItem({ tokens: [1] }),
      metric.isItem([]),
    ]).toEqual([true, false, false]);
  });
});
