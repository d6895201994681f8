import { describe, expect, it } from "vitest";
import {
  bleuFromStatistics,
  bleuStatistics,
  selfBleu,
  selfBleuMetric,
  tokenize13a,
} from "./bleu.ts";

// Self-BLEU (Zhu et al. 2018, "Texygen: A Benchmarking Platform for Text Generation Models"):
// each generation scored by BLEU against all the other generations as references, averaged.
// Checked against that definition computed directly with bleuStatistics (sacreBLEU's corpus BLEU
// of one segment with several references, itself tested against sacreBLEU's published values).
describe("self-BLEU", () => {
  const definition = (texts: string[]) =>
    texts.reduce(
      (sum, text, i) =>
        sum +
        bleuFromStatistics(
          bleuStatistics(
            text,
            texts.filter((_, j) => j !== i),
          ),
        ),
      0,
    ) / texts.length;
  const items = (texts: string[]) => texts.map((t) => ({ tokens: tokenize13a(t) }));

  it.each([
    [["The cat sat on the mat.", "The cat sat on the mat."]], // identical: 100
    [["The cat sat on the mat today.", "A dog ran in the park at noon."]],
    [
      [
        "Once upon a time there was a little girl named Lily.",
        "Once upon a time there was a boy named Tim who liked to play.",
        "The sun rose over the quiet hills, and the birds began to sing.",
        "Once upon a time there was a little girl named Lily.",
        "",
      ],
    ],
    // Lengths 3, 5, 7, 5, 4, 6: the closest other length, a shared one, and ties (the shorter).
    [["a b c", "a b c d e", "a b c d e f g", "x y z w v", "a b c d", "q r s t u v"]],
  ])("equals the mean of each generation's BLEU against the others: %j", (texts) => {
    expect(selfBleu(items(texts))).toBeCloseTo(definition(texts), 10);
  });

  it("is 100 for copies, and absent below two generations", () => {
    expect(selfBleu(items(["a b c d e", "a b c d e", "a b c d e"]))).toBeCloseTo(100, 10);
    expect(selfBleu(items(["only one"]))).toBeNull();
    expect(selfBleuMetric.higherIsBetter).toBe(false);
  });
});
