import { describe, expect, it } from "vitest";
import { type BleuItem, bleu, bleuFromStatistics, bleuStatistics, tokenize13a } from "./bleu.ts";

const corpus = (hyps: readonly string[], refStreams: readonly (readonly string[])[]) =>
  bleu.aggregate(
    hyps.map((prediction, i) =>
      bleu.score({ prediction, references: refStreams.map((stream) => stream[i] as string) }),
    ),
  );

const sum = (items: BleuItem[]) =>
  items.reduce((a, b) => ({
    hypLen: a.hypLen + b.hypLen,
    refLen: a.refLen + b.refLen,
    correct: a.correct.map((c, i) => c + (b.correct[i] as number)),
    total: a.total.map((t, i) => t + (b.total[i] as number)),
  }));

// sacreBLEU test/test_bleu.py (_hyps, _refs: "test for README example") and README.md
// ("BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)").
const hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];
const refs = [
  ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
  ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
];

describe("bleu: sacreBLEU's published values", () => {
  it("test_corpus_bleu: default settings -> 48.530827 (two references per segment)", () => {
    const { value, stderr } = corpus(hyps, refs);
    expect(Math.abs((value as number) - 48.530827)).toBeLessThan(1e-6);
    expect(stderr).toBeNull();
  });

  it("README: the statistics behind it (hyp_len 17, ref_len 18, 82.4/50.0/45.5/37.5)", () => {
    const stats = sum(
      hyps.map((h, i) => bleuStatistics(h, [refs[0]?.[i], refs[1]?.[i]] as string[])),
    );
    expect({ hypLen: stats.hypLen, refLen: stats.refLen }).toEqual({ hypLen: 17, refLen: 18 });
    const precisions = stats.correct.map((c, i) =>
      ((100 * c) / (stats.total[i] as number)).toFixed(1),
    );
    expect(precisions).toEqual(["82.4", "50.0", "45.5", "37.5"]);
  });

  it("test_corpus_bleu: empty hypotheses are scored, not removed -> 0", () => {
    expect(corpus(["", "", ""], refs).value).toBe(0);
  });

  // README "Variable Number of References": BLEU = 29.44 82.4/42.9/27.3/12.5 (BP = 0.889
  // ratio = 0.895 hyp_len = 17 ref_len = 19). Its printed ref_len (19 = 7 + 5 + 7) shows that the
  // first segment kept its second reference, "The dog had bit the man.".
  it("README: an empty reference is dropped (variable number of references) -> 29.44", () => {
    const variable = [["", ...(refs[0] as string[]).slice(1)], refs[1] as string[]];
    const items = hyps.map((h, i) =>
      bleuStatistics(
        h,
        variable.map((s) => s[i] as string),
      ),
    );
    const stats = sum(items);
    expect({ hypLen: stats.hypLen, refLen: stats.refLen }).toEqual({ hypLen: 17, refLen: 19 });
    const precisions = stats.correct.map((c, i) =>
      ((100 * c) / (stats.total[i] as number)).toFixed(1),
    );
    expect(precisions).toEqual(["82.4", "42.9", "27.3", "12.5"]);
    expect(bleu.aggregate(items).value?.toFixed(2)).toBe("29.44");
  });

  it("test_statistics: counts [4, 2, 1, 0] of totals [6, 5, 4, 3]", () => {
    const stats = bleuStatistics("am I am a character sequence", [
      "I am a symbol string sequence a a",
    ]);
    expect({ correct: stats.correct, total: stats.total }).toEqual({
      correct: [4, 2, 1, 0],
      total: [6, 5, 4, 3],
    });
  });

  it("test_scoring: compute_bleu([9,7,5,3], [10,8,6,4], 11, 11) -> 0.8375922397 (x100)", () => {
    const value = bleuFromStatistics({
      hypLen: 11,
      refLen: 11,
      correct: [9, 7, 5, 3],
      total: [10, 8, 6, 4],
    });
    expect(Math.abs(value / 100 - 0.8375922397)).toBeLessThan(1e-8);
  });

  // test/test_sentence_bleu.py, "Example taken from #98" and "#141": sentence BLEU with exp
  // smoothing and 13a. They set effective_order=True, which changes nothing here: every order
  // has hypothesis n-grams (14 tokens), so no order is dropped.
  it.each([
    {
      sys: "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;",
      ref: "producţia de zahăr brut se exprimă în zahăr alb;",
      expected: 8.493,
    },
    { sys: "this is a cat", ref: "okay thanks", expected: 0 },
  ])("test_api_sentence_bleu: $sys -> $expected", ({ sys, ref, expected }) => {
    expect(Math.abs((corpus([sys], [[ref]]).value as number) - expected)).toBeLessThan(1e-3);
  });
});

// Worked by hand from tokenizer_13a.py and tokenizer_re.py.
describe("tokenize13a", () => {
  it.each([
    { text: "Hello, world!", tokens: ["Hello", ",", "world", "!"] },
    // period and comma stay inside numbers; a dash after a digit is split
    {
      text: "3.14 and 1,000 in 1990-2000.",
      tokens: ["3.14", "and", "1,000", "in", "1990", "-", "2000", "."],
    },
    { text: "e.g.", tokens: ["e", ".", "g", "."] },
    { text: "&quot;hi&quot; &amp; <skipped>bye", tokens: ['"', "hi", '"', "&", "bye"] },
    { text: "line-\nbreak\nnext", tokens: ["linebreak", "next"] },
    // rstrip() runs first, so a final line break does not join a trailing hyphen away
    { text: "a-\n", tokens: ["a-"] },
    { text: "(a)[b]{c}", tokens: ["(", "a", ")", "[", "b", "]", "{", "c", "}"] },
    // Python's whitespace: U+00A0 and U+3000 separate, U+FEFF does not
    { text: "a\u00a0b\u3000c\ufeffd", tokens: ["a", "b", "c\ufeffd"] },
    { text: "   ", tokens: [] },
    { text: "", tokens: [] },
    { text: "日本語です。", tokens: ["日本語です。"] },
  ])("$text", ({ text, tokens }) => {
    expect(tokenize13a(text)).toEqual(tokens);
  });
});

describe("bleu: edge cases", () => {
  it.each([
    // no order above 2 has n-grams: precision 0 there, and log(0) sinks the score (no effective order)
    { hyp: "a test", refs: ["a test"], value: 0 },
    { hyp: "the cat sat on the mat", refs: ["the cat sat on the mat"], value: 100 },
    // closest reference length, the shorter one on a tie: 2 and 4 are both 1 away from 3
    { hyp: "a b c", refs: ["a b", "a b c d"], refLen: 2 },
    { hyp: "a b c", refs: ["a b c d", "a b"], refLen: 2 },
    { hyp: "", refs: ["a b"], value: 0 },
    // no usable reference: counted against an empty one
    { hyp: "a b", refs: [""], refLen: 0, value: 0 },
    { hyp: "a b", refs: [], refLen: 0, value: 0 },
    { hyp: "...", refs: ["!!!"], value: 0 },
  ])("$hyp vs $refs", ({ hyp, refs: references, value, refLen }) => {
    const item = bleu.score({ prediction: hyp, references });
    if (refLen !== undefined) expect(item.refLen).toBe(refLen);
    if (value !== undefined) expect(bleu.aggregate([item]).value).toBeCloseTo(value, 10);
    expect(bleu.isItem(item)).toBe(true);
  });

  it("clips each n-gram by its largest count in any one reference", () => {
    const item = bleuStatistics("the the the the", ["the cat", "the the mat"]);
    expect(item.correct[0]).toBe(2);
  });

  it("aggregates nothing to nothing", () => {
    expect(bleu.aggregate([])).toEqual({ value: null, stderr: null });
  });

  it("declares itself", () => {
    const { id, higherIsBetter, aggregation, taskTypes } = bleu;
    expect({ id, higherIsBetter, aggregation, taskTypes }).toEqual({
      id: "bleu",
      higherIsBetter: true,
      aggregation: "corpus",
      taskTypes: ["generate"],
    });
  });
});

describe("bleu.isItem", () => {
  const good = { hypLen: 3, refLen: 4, correct: [2, 1, 0, 0], total: [3, 2, 1, 0] };
  it.each([
    { name: "a valid item", value: good, ok: true },
    {
      name: "an empty hypothesis",
      value: { hypLen: 0, refLen: 2, correct: [0, 0, 0, 0], total: [0, 0, 0, 0] },
      ok: true,
    },
    { name: "NaN", value: { ...good, refLen: Number.NaN }, ok: false },
    { name: "a negative count", value: { ...good, refLen: -1 }, ok: false },
    { name: "a fraction", value: { ...good, correct: [1.5, 1, 0, 0] }, ok: false },
    { name: "more matches than n-grams", value: { ...good, correct: [4, 1, 0, 0] }, ok: false },
    { name: "totals that do not fit hypLen", value: { ...good, total: [3, 2, 1, 1] }, ok: false },
    { name: "three orders", value: { ...good, correct: [2, 1, 0], total: [3, 2, 1] }, ok: false },
    { name: "an extra key", value: { ...good, score: 1 }, ok: false },
    { name: "a missing key", value: { hypLen: 3, refLen: 4, correct: [2, 1, 0, 0] }, ok: false },
    { name: "a number", value: 48.5, ok: false },
    { name: "null", value: null, ok: false },
    { name: "an array", value: [3, 4, 2, 1, 0, 0, 3, 2, 1, 0], ok: false },
  ])("$name -> $ok", ({ value, ok }) => {
    expect(bleu.isItem(value)).toBe(ok);
  });
});
