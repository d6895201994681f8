import { describe, expect, it } from "vitest";
import { porterStem } from "./porter-stemmer.ts";
import { rouge, rouge1, rouge2, rougeL, rougeLsum, rougeScore, rougeTokenize } from "./rouge.ts";

// google-research rouge/testdata: target.txt and prediction.txt (lines 1 and 2, as readlines()
// gives them), pyrouge_files/target_multi.0.txt and prediction_multi.0.txt.
const targets = [
  "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n",
  "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n",
];
const predictions = [
  "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n",
  "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n",
];
const targetMulti = `${targets[0]}${targets[1]}NhETebUbBk'er WOvoHMTjSRizKgH'vHiing Xu,hWxfs VkNE QhgKiLHE -HidivzoM.dO anhtion jbLQiSGDTCsuhREebUaKM dv J dVN tmbOT
vMR HDm,xOAetion D,tion HJtodT.mHl UIv-p VjWH'BdyWjnfGU-OjT aEMdFICyLWfQMtion wEMfdOKing AwkeKbO 'DxqNOHBH qKtVvm OYJl mM
`;
const predictionMulti = `${predictions[0]}${predictions[1]}xfs VkJE QhgKiLHE -HidivzoM.dO anhing jbLQiSGDTCsuhREebUaKM dv J
VjWH'BdyWjnfGU-OjTNaEMdFICyLWfQMing wEMfdOKijg AwkeKbO 'DxqNO
`;

const round = ({
  precision,
  recall,
  fmeasure,
}: {
  precision: number;
  recall: number;
  fmeasure: number;
}) => [recall, precision, fmeasure].map((x) => Number(x.toFixed(5)));

// rouge/rouge_scorer_test.py: RougeScorerTest. `score(target, prediction)`; expected values as
// [recall, precision, fmeasure] (the *AgainstRouge155 tests compare to 5 places).
describe("rouge-score's RougeScorerTest", () => {
  it.each([
    {
      test: "testRouge1",
      type: "rouge1",
      t: "testing one two",
      p: "testing",
      prf: [1, 1 / 3, 1 / 2],
    },
    {
      test: "testRouge2",
      type: "rouge2",
      t: "testing one two",
      p: "testing one",
      prf: [1, 1 / 2, 2 / 3],
    },
    {
      test: "testRougeLConsecutive",
      type: "rougeL",
      t: "testing one two",
      p: "testing one",
      prf: [1, 2 / 3, 4 / 5],
    },
    {
      test: "testRougeLNonConsecutive",
      type: "rougeL",
      t: "testing one two",
      p: "testing two",
      prf: [1, 2 / 3, 4 / 5],
    },
    {
      test: "testMultipleRougeTypes",
      type: "rouge1",
      t: "testing one two",
      p: "testing one",
      prf: [1, 2 / 3, 4 / 5],
    },
    {
      test: "testRougeLsum",
      type: "rougeLsum",
      t: "w1 w2 w3 w4 w5",
      p: "w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5",
      prf: [0.4, 0.8, 0.8 / 1.5],
    },
    {
      test: "testRougeLsum (empty)",
      type: "rougeLsum",
      t: "w1 w2 w3 w4 w5",
      p: "",
      prf: [0, 0, 0],
    },
    { test: "testRougeLsum (empty target)", type: "rougeLsum", t: "", p: "w1", prf: [0, 0, 0] },
    {
      test: "testRougeLsum (non-word characters)",
      type: "rougeLsum",
      t: "w1 w2 w3 w4 w5",
      p: "/",
      prf: [0, 0, 0],
    },
    ...(["rouge1", "rouge2", "rougeL", "rougeLsum"] as const).map((type) => ({
      test: "testRougeEmpty",
      type,
      t: "testing one two",
      p: "",
      prf: [0, 0, 0],
    })),
  ] as const)("$test ($type)", ({ type, t, p, prf: [precision, recall, fmeasure] }) => {
    const score = rougeScore(type, t, p);
    expect(score.precision).toBeCloseTo(precision, 7);
    expect(score.recall).toBeCloseTo(recall, 7);
    expect(score.fmeasure).toBeCloseTo(fmeasure, 7);
  });

  it.each([
    {
      test: "testRouge1AgainstRouge155",
      type: "rouge1",
      i: 0,
      stem: false,
      rpf: [0.40741, 0.6875, 0.51163],
    },
    {
      test: "testRouge1AgainstRouge155",
      type: "rouge1",
      i: 1,
      stem: false,
      rpf: [0.40476, 0.65385, 0.5],
    },
    {
      test: "testRouge1AgainstRouge155WithStemming",
      type: "rouge1",
      i: 0,
      stem: true,
      rpf: [0.40741, 0.6875, 0.51163],
    },
    {
      test: "testRouge1AgainstRouge155WithStemming",
      type: "rouge1",
      i: 1,
      stem: true,
      rpf: [0.42857, 0.69231, 0.52941],
    },
    {
      test: "testRouge2AgainstRouge155",
      type: "rouge2",
      i: 0,
      stem: false,
      rpf: [0.30769, 0.53333, 0.39024],
    },
    {
      test: "testRouge2AgainstRouge155",
      type: "rouge2",
      i: 1,
      stem: false,
      rpf: [0.29268, 0.48, 0.36364],
    },
    {
      test: "testRouge2AgainstRouge155WithStemming",
      type: "rouge2",
      i: 0,
      stem: true,
      rpf: [0.30769, 0.53333, 0.39024],
    },
    {
      test: "testRouge2AgainstRouge155WithStemming",
      type: "rouge2",
      i: 1,
      stem: true,
      rpf: [0.29268, 0.48, 0.36364],
    },
    {
      test: "testRougeLAgainstRouge155",
      type: "rougeL",
      i: 0,
      stem: false,
      rpf: [0.40741, 0.6875, 0.51163],
    },
    {
      test: "testRougeLAgainstRouge155",
      type: "rougeL",
      i: 1,
      stem: false,
      rpf: [0.40476, 0.65385, 0.5],
    },
  ] as const)("$test line $i", ({ type, i, stem, rpf }) => {
    const score = rougeScore(type, targets[i] as string, predictions[i] as string, {
      useStemmer: stem,
    });
    expect(round(score)).toEqual(rpf);
  });

  it("testRougeLSumAgainstRouge155WithStemming", () => {
    const score = rougeScore("rougeLsum", targetMulti, predictionMulti, { useStemmer: true });
    expect(round(score)).toEqual([0.36538, 0.66667, 0.47205]);
  });
});

describe("rougeTokenize", () => {
  it.each([
    { text: "The quick, brown FOX!", stem: false, tokens: ["the", "quick", "brown", "fox"] },
    // letters outside a-z separate tokens; digits stay
    { text: "Café au lait 2024", stem: false, tokens: ["caf", "au", "lait", "2024"] },
    { text: "日本語", stem: false, tokens: [] },
    { text: "...", stem: false, tokens: [] },
    { text: "", stem: false, tokens: [] },
    // only words longer than 3 characters are stemmed
    { text: "running dogs ran flies", stem: true, tokens: ["run", "dog", "ran", "fli"] },
    { text: "dies ties", stem: true, tokens: ["die", "tie"] },
  ])("$text (stem $stem)", ({ text, stem, tokens }) => {
    expect(rougeTokenize(text, stem)).toEqual(tokens);
  });
});

// nltk/stem/porter.py, the module's doctest (NLTK_EXTENSIONS, the default mode):
// "caress fli die mule deni die agre own humbl size meet state siez item sensat tradit refer
// colon plot"; the irregular forms come from the same file's table.
describe("porterStem", () => {
  it("reproduces NLTK's doctest", () => {
    const plurals =
      "caresses flies dies mules denied died agreed owned humbled sized meeting stating siezing itemization sensational traditional reference colonizer plotted";
    expect(plurals.split(" ").map(porterStem).join(" ")).toBe(
      "caress fli die mule deni die agre own humbl size meet state siez item sensat tradit refer colon plot",
    );
  });

  it.each([
    { word: "skies", stem: "sky" },
    { word: "dying", stem: "die" },
    { word: "innings", stem: "inning" },
    { word: "proceed", stem: "proceed" },
    { word: "as", stem: "as" },
    // the examples in the paper as NLTK's docstrings list them
    { word: "relational", stem: "relat" },
    { word: "hopefulness", stem: "hope" },
    { word: "controll", stem: "control" },
    { word: "happy", stem: "happi" },
    { word: "enjoy", stem: "enjoy" },
  ])("$word -> $stem", ({ word, stem }) => {
    expect(porterStem(word)).toBe(stem);
  });
});

describe("rouge metrics", () => {
  it.each([
    // 100 x the best F-measure over references (rouge-score's score_multi)
    {
      metric: rouge1,
      prediction: "testing",
      references: ["testing one two", "testing"],
      value: 100,
    },
    { metric: rouge1, prediction: "testing", references: ["testing one two", "other"], value: 50 },
    { metric: rouge2, prediction: "testing one", references: ["testing one two"], value: 200 / 3 },
    { metric: rougeL, prediction: "testing two", references: ["testing one two"], value: 80 },
    {
      metric: rougeLsum,
      prediction: "w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5",
      references: ["w1 w2 w3 w4 w5"],
      value: 160 / 3,
    },
    // rougeL over one line ignores line breaks; rougeLsum takes them as sentence ends
    { metric: rougeL, prediction: "a b\nc", references: ["a b c"], value: 100 },
    { metric: rougeLsum, prediction: "a b\nc", references: ["a b c"], value: 100 },
    { metric: rougeLsum, prediction: "c a b", references: ["a b\nc"], value: 100 },
    { metric: rougeL, prediction: "c a b", references: ["a b\nc"], value: 200 / 3 },
    { metric: rouge1, prediction: "", references: ["a"], value: 0 },
    { metric: rouge1, prediction: "a", references: [""], value: 0 },
    { metric: rouge1, prediction: "a", references: [], value: 0 },
    { metric: rouge1, prediction: "日本語", references: ["日本語"], value: 0 },
    { metric: rougeL, prediction: "?!", references: ["?!"], value: 0 },
  ])(
    "$metric.id: $prediction vs $references -> $value",
    ({ metric, prediction, references, value }) => {
      const item = metric.score({ prediction, references });
      expect(item).toBeCloseTo(value, 10);
      expect(metric.isItem(item)).toBe(true);
    },
  );

  it("useStemmer conflates inflections", () => {
    const outcome = { prediction: "the dogs were running", references: ["the dog was run"] };
    expect([rouge1.score(outcome), rouge("rouge1", { useStemmer: true }).score(outcome)]).toEqual([
      25, 75,
    ]);
  });

  it.each([
    { value: 0, ok: true },
    { value: 100, ok: true },
    { value: 53.3, ok: true },
    { value: 100.5, ok: false },
    { value: -1, ok: false },
    { value: Number.NaN, ok: false },
    { value: "50", ok: false },
    { value: null, ok: false },
  ])("isItem($value) -> $ok", ({ value, ok }) => {
    expect(rougeLsum.isItem(value)).toBe(ok);
  });

  it("aggregate as a mean; nothing for no items", () => {
    expect(rouge1.aggregate([])).toEqual({ value: null, stderr: null });
    const { value, stderr } = rouge1.aggregate([50, 100]);
    expect(value).toBe(75);
    expect(stderr).toBeCloseTo(25, 12);
  });

  it("declare themselves", () => {
    expect(
      [rouge1, rouge2, rougeL, rougeLsum].map((m) => [m.id, m.higherIsBetter, m.aggregation]),
    ).toEqual([
      ["rouge1", true, "mean"],
      ["rouge2", true, "mean"],
      ["rougeL", true, "mean"],
      ["rougeLsum", true, "mean"],
    ]);
  });
});
