import { describe, expect, it } from "vitest";
import {
  type ChrfOptions,
  chrf,
  chrfFromStatistics,
  chrfPlusPlus,
  chrfStatistics,
  chrfWords,
} from "./chrf.ts";

/** sacrebleu.corpus_chrf(hyps, [refs], **options) with one reference stream. */
function corpusChrf(hyps: readonly string[], refs: readonly string[], options: ChrfOptions) {
  const stats = hyps.map((h, i) => chrfStatistics(h, [refs[i] as string], options));
  const sums = (stats[0] as number[]).map((_, j) =>
    stats.reduce((s, row) => s + (row[j] as number), 0),
  );
  return chrfFromStatistics(sums, options);
}

const metricCorpus = (
  metric: typeof chrf,
  hyps: readonly string[],
  refStreams: readonly (readonly string[])[],
) =>
  metric.aggregate(
    hyps.map((prediction, i) =>
      metric.score({ prediction, references: refStreams.map((s) => s[i] as string) }),
    ),
  );

// Hugging Face evaluate, metrics/chrf/chrf.py docstring, Examples 1 and 2 (sacreBLEU's CHRF
// with its defaults, and with word_order=2).
describe("chrf and chrf++: evaluate's chrf examples", () => {
  const prediction = [
    "The relationship between cats and dogs is not exactly friendly.",
    "a good bookshop is just a genteel black hole that knows how to read.",
  ];
  const reference = [
    "The relationship between dogs and cats is not exactly friendly.",
    "A good bookshop is just a genteel Black Hole that knows how to read.",
  ];
  it.each([
    { metric: chrf, expected: 84.64214891738334 },
    { metric: chrfPlusPlus, expected: 82.87263732906315 },
  ])("$metric.id -> $expected", ({ metric, expected }) => {
    const { value, stderr } = metricCorpus(metric, prediction, [reference]);
    expect(value).toBeCloseTo(expected, 9);
    expect(stderr).toBeNull();
  });
});

// sacreBLEU README.md, "chrf = CHRF(); chrf.corpus_score(sys, refs)" -> "chrF2 = 59.73", with
// two references per segment: each segment keeps the reference with the best sentence score.
it("chrf: sacreBLEU README's two-reference example -> 59.73", () => {
  const sys = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];
  const refs = [
    ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
    ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
  ];
  expect(metricCorpus(chrf, sys, refs).value?.toFixed(2)).toBe("59.73");
});

// sacreBLEU test/test_chrf.py. test_chrf: char_order=6, word_order=0, beta=3, eps_smoothing=True;
// test_chrf_eff_order: the same with eps_smoothing=False (sacreBLEU's default); EPSILON = 1e-4.
describe("chrF: sacreBLEU's test_chrf.py", () => {
  const eps = { beta: 3, epsSmoothing: true };
  const eff = { beta: 3, epsSmoothing: false };
  it.each([
    { hyps: ["abcdefg"], refs: ["hijklmnop"], options: eps, expected: 0 },
    { hyps: ["a"], refs: ["b"], options: eps, expected: 0 },
    { hyps: [""], refs: ["b"], options: eps, expected: 0 },
    { hyps: [""], refs: ["ref"], options: eps, expected: 0 },
    { hyps: [""], refs: ["reference"], options: eps, expected: 0 },
    { hyps: ["aa"], refs: ["ab"], options: eps, expected: 8.3333 },
    { hyps: ["a", "b"], refs: ["a", "c"], options: eps, expected: 8.3333 },
    { hyps: ["a"], refs: ["a"], options: eps, expected: 16.6667 },
    { hyps: ["a b c"], refs: ["a b c"], options: eps, expected: 50 },
    { hyps: ["a b c"], refs: ["abc"], options: eps, expected: 50 },
    {
      hyps: [
        " risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .",
      ],
      refs: [
        "risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .",
      ],
      options: eps,
      expected: 63.36173,
    },
    {
      hyps: [" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. "],
      refs: ["Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."],
      options: eps,
      expected: 64.1302698,
    },
    {
      hyps: ["Niemand hat die Absicht, eine Mauer zu errichten"],
      refs: ["Niemand hat die Absicht, eine Mauer zu errichten"],
      options: eps,
      expected: 100,
    },
    { hyps: ["a"], refs: ["a"], options: eff, expected: 100 },
    { hyps: [""], refs: ["reference"], options: eff, expected: 0 },
    { hyps: ["a b c"], refs: ["a b c"], options: eff, expected: 100 },
    { hyps: ["a b c"], refs: ["abc"], options: eff, expected: 100 },
    { hyps: [""], refs: ["c"], options: eff, expected: 0 },
    { hyps: ["a", "b"], refs: ["a", "c"], options: eff, expected: 50 },
    { hyps: ["aa"], refs: ["ab"], options: eff, expected: 25 },
  ])("$hyps vs $refs ($options) -> $expected", ({ hyps, refs, options, expected }) => {
    expect(Math.abs(corpusChrf(hyps, refs, options) - expected)).toBeLessThan(1e-4);
  });

  // test_chrf_sentence_level: sentence_chrf(hyp, refs, eps_smoothing=True), defaults otherwise.
  it.each([
    {
      hyp: "Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.",
      ref: "Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.",
      expected: 39.14078509,
    },
    {
      hyp: "Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.",
      ref: "A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.",
      expected: 31.22557079,
    },
    {
      hyp: "Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.",
      ref: "Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.",
      expected: 57.15704367,
    },
  ])("sentence level: $expected", ({ hyp, ref, expected }) => {
    expect(Math.abs(corpusChrf([hyp], [ref], { epsSmoothing: true }) - expected)).toBeLessThan(
      1e-4,
    );
  });
});

// Worked by hand from CHRF._remove_punctuation (ASCII string.punctuation, one mark per word).
describe("chrfWords", () => {
  it.each([
    { text: "Hello, world!", words: ["Hello", ",", "world", "!"] },
    // sacreBLEU issue #124: only the end is split off when both ends are punctuation
    { text: "(hi)", words: ["(hi", ")"] },
    { text: "'quote", words: ["'", "quote"] },
    { text: "a . ,", words: ["a", ".", ","] },
    { text: "wait...", words: ["wait..", "."] },
    // not ASCII punctuation; and a single astral code point is one character
    { text: "«oui» 😀", words: ["«oui»", "😀"] },
    { text: "", words: [] },
  ])("$text", ({ text, words }) => {
    expect(chrfWords(text)).toEqual(words);
  });
});

describe("chrf: edge cases", () => {
  it.each([
    // characters are code points: these two emoji share a UTF-16 high surrogate, not a character
    { hyp: "😀", refs: ["😃"], value: 0 },
    { hyp: "😀😀", refs: ["😀😀"], value: 100 },
    // whitespace does not count
    { hyp: "a b", refs: ["ab"], value: 100 },
    { hyp: "", refs: ["abc"], value: 0 },
    { hyp: "?!", refs: ["?!"], value: 100 },
    // no usable reference: every count is 0
    { hyp: "abc", refs: [""], value: 0 },
    { hyp: "abc", refs: [], value: 0 },
  ])("$hyp vs $refs -> $value", ({ hyp, refs, value }) => {
    const item = chrf.score({ prediction: hyp, references: refs });
    expect(chrf.isItem(item)).toBe(true);
    expect(chrf.aggregate([item]).value).toBeCloseTo(value, 10);
  });

  it("keeps the counts of the reference with the best sentence score, wherever it is", () => {
    const stats = (refs: string[]) => chrfStatistics("abc", refs);
    expect(stats(["xyz", "abc"])).toEqual(stats(["abc"]));
    expect(stats(["abc", "xyz"])).toEqual(stats(["abc"]));
    expect(stats(["abc"])).not.toEqual(stats(["xyz"]));
  });

  it("does not count hypothesis n-grams of an order the reference has none of", () => {
    // "ab": one 2-gram and no 3-grams
    expect(chrfStatistics("abc", ["ab"]).slice(0, 9)).toEqual([3, 2, 2, 2, 1, 1, 0, 0, 0]);
  });

  it("chrf++ adds word unigrams and bigrams", () => {
    const item = chrfPlusPlus.score({ prediction: "a cat.", references: ["a cat."] });
    expect(item.slice(18)).toEqual([3, 3, 3, 2, 2, 2]);
  });

  it("aggregates nothing to nothing", () => {
    expect([chrf.aggregate([]), chrfPlusPlus.aggregate([])]).toEqual([
      { value: null, stderr: null },
      { value: null, stderr: null },
    ]);
  });

  it("declares itself", () => {
    expect(
      [chrf, chrfPlusPlus].map(({ id, higherIsBetter, aggregation }) => [
        id,
        higherIsBetter,
        aggregation,
      ]),
    ).toEqual([
      ["chrf", true, "corpus"],
      ["chrf++", true, "corpus"],
    ]);
  });
});

describe("chrf.isItem", () => {
  const good = chrf.score({ prediction: "a cat", references: ["the cat"] });
  it.each([
    { name: "a scored item", value: good, ok: true, metric: chrf },
    { name: "a chrf++ item for chrf", value: [...good, 0, 0, 0, 0, 0, 0], ok: false, metric: chrf },
    { name: "a chrf item for chrf++", value: good, ok: false, metric: chrfPlusPlus },
    { name: "NaN", value: [Number.NaN, ...good.slice(1)], ok: false, metric: chrf },
    { name: "a negative count", value: [-1, ...good.slice(1)], ok: false, metric: chrf },
    {
      name: "more matches than n-grams",
      value: [1, 5, 2, ...good.slice(3)],
      ok: false,
      metric: chrf,
    },
    {
      name: "hypothesis n-grams without reference ones",
      value: [1, 0, 0, ...good.slice(3)],
      ok: false,
      metric: chrf,
    },
    { name: "an object", value: { stats: good }, ok: false, metric: chrf },
    { name: "null", value: null, ok: false, metric: chrf },
  ])("$name -> $ok", ({ value, ok, metric }) => {
    expect(metric.isItem(value)).toBe(ok);
  });
});
