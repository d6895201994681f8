import { describe, expect, it } from "vitest";
import { generateMetrics } from "./generate.ts";
import { metrics } from "./registry.ts";

describe("generateMetrics", () => {
  it.each(Object.entries(generateMetrics))(
    "%s is filed under its id and in the registry",
    (key, metric) => {
      expect([
        metric.id,
        metric.taskTypes.includes("generate"),
        metrics[key as keyof typeof metrics],
      ]).toEqual([key, true, metric]);
    },
  );

  it("offers the generation metrics", () => {
    expect(Object.keys(generateMetrics)).toEqual([
      "exact_match",
      "em",
      "f1",
      "bleu",
      "chrf",
      "chrf++",
      "rouge1",
      "rouge2",
      "rougeL",
      "rougeLsum",
      "tatqa_em",
      "tatqa_f1",
      "distinct_1",
      "distinct_2",
      "distinct_3",
      "self_bleu",
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
  });
});
