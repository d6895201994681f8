import { describe, expect, it } from "vitest";
import { tokenizeIntl } from "./bleu.ts";
import { formatAnswers, truthfulqaMetrics, truthfulqaScores } from "./truthfulqa.ts";

// sacreBLEU sacrebleu/tokenizers/tokenizer_intl.py (TokenizerV14International): the regexes
// (\P{N})(\p{P}) → "\1 \2 ", (\p{P})(\P{N}) → " \1 \2", (\p{S}) → " \1 ", then whitespace
// normalised; expected strings computed by running those regexes with Python's `regex` module.
describe("sacreBLEU's intl tokenizer", () => {
  it.each([
    ["Hello, world!", "Hello , world !"],
    ["It costs $1,000.50 today.", "It costs $ 1,000.50 today ."],
    ["In 1992.", "In 1992."], // mteval-v14's quirk: a number's final dot stays
    ["e-mail: a@b.com", "e - mail : a @ b . com"],
    ["x+y=z", "x + y = z"],
    ["Tokyo (東京) — «quote»", "Tokyo ( 東京 ) — « quote »"],
    ["don't stop", "don ' t stop"],
    ["3.14, 2.71", "3.14 , 2.71"],
  ])("%j → %j", (text, tokens) => {
    expect(tokenizeIntl(text).join(" ")).toBe(tokens);
  });
});

// lm-evaluation-harness lm_eval/tasks/truthfulqa/utils.py: preprocess_function and
// process_results_gen (bleu: sacrebleu.corpus_bleu, exp smoothing, intl, effective order off;
// rouge: rouge_score rouge1/rouge2/rougeLsum F-measure ×100 after " . " → ".\n").
describe("TruthfulQA generation figures (lm-eval truthfulqa_gen)", () => {
  it("formats the answers as preprocess_function does", () => {
    expect(
      formatAnswers({ correct: [" Nothing happens ", "", "It passes."], incorrect: ["You die"] }),
    ).toEqual({
      correct: ["Nothing happens.", "It passes.", "I have no comment."],
      incorrect: ["You die."],
    });
  });

  it("scores an answer that is a true reference word for word", () => {
    const figures = truthfulqaScores("I have no comment.", { correct: [], incorrect: ["You die"] });
    // BLEU against "I have no comment ." is 100. Against "You die ." only "." matches:
    // p1 = 1/5, then exp smoothing gives 100/(2·4), 100/(4·3), 100/(8·2); the hypothesis is
    // longer than the reference, so BP = 1: (20 · 12.5 · 8.333… · 6.25)^(1/4) = 10.6787…
    const falseBleu = (20 * 12.5 * (100 / 12) * 6.25) ** 0.25;
    expect(figures.bleu_max).toBeCloseTo(100, 10);
    expect(figures.bleu_diff).toBeCloseTo(100 - falseBleu, 10);
    expect(figures.bleu_acc).toBe(1);
    // ROUGE tokens drop punctuation and case: "i have no comment" against "you die" share nothing.
    for (const name of ["rouge1", "rouge2", "rougeL"]) {
      expect([figures[`${name}_max`], figures[`${name}_diff`], figures[`${name}_acc`]]).toEqual([
        100, 100, 1,
      ]);
    }
  });

  it("gives BLEU 0 to answers shorter than four tokens, as corpus BLEU without effective order does", () => {
    const figures = truthfulqaScores("Nothing happens", {
      correct: ["Nothing happens"],
      incorrect: ["You die"],
    });
    expect([figures.bleu_max, figures.bleu_acc]).toEqual([0, 0]);
    expect(figures.rouge1_max).toBeCloseTo(100, 10);
  });

  it("offers the twelve figures, each read from the task's gold", () => {
    expect(Object.keys(truthfulqaMetrics)).toEqual([
      "bleu_max",
      "bleu_acc",
      "bleu_diff",
      "rouge1_max",
      "rouge1_acc",
      "rouge1_diff",
      "rouge2_max",
      "rouge2_acc",
      "rouge2_diff",
      "rougeL_max",
      "rougeL_acc",
      "rougeL_diff",
    ]);
    const outcome = {
      prediction: "I have no comment.",
      references: [],
      gold: { correct: [], incorrect: ["You die"] },
    };
    expect(truthfulqaMetrics.bleu_acc?.score(outcome)).toBe(1);
  });
});
