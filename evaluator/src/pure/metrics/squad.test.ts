import { describe, expect, it } from "vitest";
import { exactMatchScore, f1Score, normalizeAnswer, squadEm, squadF1 } from "./squad.ts";

// Reference: the official SQuAD v1.1 evaluation script, evaluate-v1.1.py: normalize_answer
// (lower, remove_punc with string.punctuation, remove_articles with re.sub(r'\b(a|an|the)\b',
// ' '), white_space_fix with ' '.join(text.split())), f1_score (Counter overlap; 0 when no token
// is shared), exact_match_score, metric_max_over_ground_truths. Cases worked by hand from it.
describe("normalizeAnswer", () => {
  it.each([
    { text: "The Cat!", normal: "cat" },
    { text: "  an  apple a day ", normal: "apple day" },
    // \b: article only as a whole word
    { text: "theater at the Theatre", normal: "theater at theatre" },
    // punctuation goes first, so a hyphen joins and an apostrophe vanishes
    { text: "A-B isn't", normal: "ab isnt" },
    { text: "the_cat", normal: "thecat" },
    // Python's \w is Unicode: no boundary between é and t
    { text: "éthe the", normal: "éthe" },
    // string.punctuation is ASCII: the ideographic full stop stays
    { text: "答え。", normal: "答え。" },
    // str.split() splits on U+00A0 and U+3000
    { text: "cat\u00a0sat\u3000down", normal: "cat sat down" },
    { text: "?!", normal: "" },
    { text: "", normal: "" },
  ])("$text -> $normal", ({ text, normal }) => {
    expect(normalizeAnswer(text)).toBe(normal);
  });
});

describe("exact_match_score and f1_score", () => {
  it.each([
    { p: "Denver Broncos", g: "the Denver Broncos", em: 1, f1: 1 },
    { p: "the cat sat", g: "cat sat on mat", em: 0, f1: 2 / 3 },
    // tokens are a multiset: Counter(x:2, y:1) & Counter(x:1, y:2) shares 2 of 3 each way
    { p: "x x y", g: "x y y", em: 0, f1: 2 / 3 },
    { p: "cat", g: "dog", em: 0, f1: 0 },
    // both empty after normalisation: equal strings, but no shared token (v1.1 returns 0)
    { p: "", g: "", em: 1, f1: 0 },
    { p: "?!", g: "...", em: 1, f1: 0 },
    { p: "the", g: "a", em: 1, f1: 0 },
    { p: "", g: "cat", em: 0, f1: 0 },
    { p: "Élan", g: "élan", em: 1, f1: 1 },
  ])("$p vs $g -> em $em, f1 $f1", ({ p, g, em, f1 }) => {
    expect(exactMatchScore(p, g)).toBe(em);
    expect(f1Score(p, g)).toBeCloseTo(f1, 12);
  });
});

describe("em and f1 metrics", () => {
  it.each([
    // metric_max_over_ground_truths: the best reference counts
    { prediction: "cat", references: ["dog", "cat sat"], em: 0, f1: 2 / 3 },
    { prediction: "cat sat", references: ["dog", "The cat sat."], em: 1, f1: 1 },
    // ties: the same value whichever reference gives it
    { prediction: "p q", references: ["p r", "r q"], em: 0, f1: 0.5 },
    // an article is no token: "a b" is "b"
    { prediction: "a b", references: ["a c", "c b"], em: 0, f1: 2 / 3 },
    // no reference (the script's max() would raise)
    { prediction: "cat", references: [], em: 0, f1: 0 },
  ])("$prediction vs $references", ({ prediction, references, em, f1 }) => {
    const outcome = { prediction, references };
    expect(squadEm.score(outcome)).toBe(em);
    expect(squadF1.score(outcome)).toBeCloseTo(f1, 12);
  });

  it.each([
    { value: 0, em: true, f1: true },
    { value: 1, em: true, f1: true },
    { value: 0.5, em: false, f1: true },
    { value: 1.5, em: false, f1: false },
    { value: -0.1, em: false, f1: false },
    { value: Number.NaN, em: false, f1: false },
    { value: "1", em: false, f1: false },
    { value: null, em: false, f1: false },
  ])("isItem($value)", ({ value, em, f1 }) => {
    expect([squadEm.isItem(value), squadF1.isItem(value)]).toEqual([em, f1]);
  });

  it("aggregate as a mean; nothing for no items", () => {
    expect([squadEm.aggregate([]), squadF1.aggregate([])]).toEqual([
      { value: null, stderr: null },
      { value: null, stderr: null },
    ]);
    expect(squadF1.aggregate([0.5])).toEqual({ value: 0.5, stderr: null });
  });

  it("declare themselves", () => {
    expect(
      [squadEm, squadF1].map((m) => [m.id, m.higherIsBetter, m.aggregation, m.taskTypes]),
    ).toEqual([
      ["em", true, "mean", ["generate"]],
      ["f1", true, "mean", ["generate"]],
    ]);
  });
});
