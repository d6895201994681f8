import { BenchError } from "../errors/index.ts";
import type { Task } from "../generated/suite.ts";
import { metrics } from "../pure/metrics/registry.ts";
import { argmax as argmaxIndex } from "../pure/stats.ts";
import { compileExpression, compileTemplate } from "../template/jinja.ts";
import type { PreparedItem, Sample, TaskType } from "./types.ts";

interface MultipleChoiceRequest {
  context: string;
  choices: string[];
  gold: number[];
}

function resolveGold(
  target: unknown,
  choices: string[],
  labels: string[] | undefined,
): number[] | string {
  if (Array.isArray(target)) {
    const all = target.map((t) => resolveGold(t, choices, labels));
    const bad = all.find((g) => typeof g === "string");
    return bad !== undefined ? bad : (all.flat() as number[]);
  }
  if (typeof target === "number") {
    return Number.isInteger(target) && target >= 0 && target < choices.length
      ? [target]
      : `target ${target} is not a choice index (expected 0..${choices.length - 1})`;
  }
  if (typeof target === "string") {
    const byLabel = labels?.indexOf(target) ?? -1;
    if (byLabel >= 0) return [byLabel];
    const byText = choices.indexOf(target);
    if (byText >= 0) return [byText];
    if (/^\d+$/.test(target) && Number(target) < choices.length) return [Number(target)];
    return `target ${JSON.stringify(target)} is neither a label${labels ? ` (${labels.join(", ")})` : ""} nor a choice`;
  }
  return `target is ${JSON.stringify(target)} (expected an index, a label or a choice string)`;
}

/**
 * Multiple choice by log-likelihood, as lm-evaluation-harness's `output_type: multiple_choice`:
 * each choice is scored as the continuation `target_delimiter + choice` of the rendered prompt.
 */
export const multipleChoice: TaskType = {
  requires: ["loglikelihood"],

  prepare(task, records, source) {
    const at = (field: string) => ({ file: source.file, path: `${source.path}.${field}` });
    const prompt = compileTemplate(task.prompt, at("prompt"));
    const choicesOf = compileExpression(task.choices, at("choices"));
    const labelsOf = task.labels ? compileExpression(task.labels, at("labels")) : undefined;
    const targetOf = compileExpression(task.target, at("target"));
    return records.map((record, index): PreparedItem => {
      const fail = (problem: string) =>
        new BenchError("E_DATASET", `${source.file}: ${source.path}: record ${index}: ${problem}`, {
          hint: "fix the task's templates or the dataset record",
        });
      const choices = choicesOf(record);
      if (
        !Array.isArray(choices) ||
        choices.length < 2 ||
        !choices.every((c) => typeof c === "string")
      ) {
        throw fail(
          `choices gave ${JSON.stringify(choices)} (expected a list of at least 2 strings)`,
        );
      }
      const labels = labelsOf?.(record);
      if (labels !== undefined && (!Array.isArray(labels) || labels.length !== choices.length)) {
        throw fail(
          `labels gave ${JSON.stringify(labels)} (expected ${choices.length} labels, one per choice)`,
        );
      }
      const gold = resolveGold(targetOf(record), choices, labels as string[] | undefined);
      if (typeof gold === "string") throw fail(gold);
      const request: MultipleChoiceRequest = { context: prompt(record), choices, gold };
      return { task: task.id, index, request };
    });
  },

  async run(item: PreparedItem, task: Task, model, signal): Promise<Sample> {
    const { context, choices, gold } = item.request as MultipleChoiceRequest;
    const base = { task: item.task, index: item.index, context, choices, gold };
    if (!model.loglikelihood) {
      throw new BenchError(
        "E_CAPABILITY",
        `task ${task.id} needs log-likelihoods, which this backend does not provide`,
      );
    }
    const delimiter = task.targetDelimiter ?? " ";
    try {
      const scored = await model.loglikelihood(
        { context, continuations: choices.map((c) => delimiter + c) },
        signal,
      );
      const outcome = {
        loglikelihoods: scored.map((s) => s.loglikelihood),
        choiceChars: choices.map((c) => c.length),
        gold,
      };
      const scores: Record<string, number> = {};
      for (const id of task.metrics)
        scores[id] = metrics[id as keyof typeof metrics].score(outcome);
      const normalised = outcome.loglikelihoods.map(
        (ll, i) => ll / (outcome.choiceChars[i] as number),
      );
      return {
        ...base,
        status: "ok",
        scores,
        prediction: argmaxIndex(outcome.loglikelihoods),
        predictionNorm: argmaxIndex(normalised),
        loglikelihoods: outcome.loglikelihoods,
        tokens: scored.map((s) => s.tokens),
        chars: outcome.choiceChars,
        greedy: scored.map((s) => s.greedy),
      };
    } catch (error) {
      if (!(error instanceof BenchError) || signal?.aborted) throw error;
      const scores = Object.fromEntries(task.metrics.map((id) => [id, 0]));
      return {
        ...base,
        status: "error",
        scores,
        error: { code: error.code, message: error.message },
      };
    }
  },
};
