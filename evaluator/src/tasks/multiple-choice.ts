import { BenchError } from "../errors/index.ts";
import type { MultipleChoiceTask } from "../generated/suite.ts";
import { multipleChoiceMetrics } from "../pure/metrics/multiple-choice.ts";
import type { MultipleChoiceOutcome } from "../pure/metrics/types.ts";
import { argmax } from "../pure/stats.ts";
import { compileExpression, compileTemplate } from "../template/jinja.ts";
import type { TaskType } from "./types.ts";

export interface MultipleChoiceRequest {
  context: string;
  choices: string[];
  gold: number[];
}

export interface MultipleChoiceResult extends MultipleChoiceOutcome {
  /** Tokens scored per choice. */
  tokens: number[];
  /** Whether each choice was the model's greedy continuation (lm-eval's is_greedy). */
  greedy: boolean[];
  /** Per choice: its continuation's token ids and each token's log-probability. */
  tokenIds: number[][];
  tokenLogprobs: number[][];
}

const utf8 = new TextEncoder();

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
export const multipleChoice: TaskType<
  MultipleChoiceTask,
  MultipleChoiceRequest,
  MultipleChoiceResult
> = {
  id: "multiple_choice",
  requires: ["loglikelihood"],
  metrics: multipleChoiceMetrics,

  promptFields: ({ prompt, choices, labels, target, targetDelimiter }) => ({
    prompt,
    choices,
    ...(labels === undefined ? {} : { labels }),
    target,
    ...(targetDelimiter === undefined ? {} : { targetDelimiter }),
  }),

  compile(task, source) {
    const at = (field: string) => ({ file: source.file, path: `${source.path}.${field}` });
    const prompt = compileTemplate(task.prompt, at("prompt"));
    const choicesOf = compileExpression(task.choices, at("choices"));
    const labelsOf = task.labels ? compileExpression(task.labels, at("labels")) : undefined;
    const targetOf = compileExpression(task.target, at("target"));
    const delimiter = task.targetDelimiter ?? " ";
    return {
      prepare(record, index) {
        const fail = (problem: string) =>
          new BenchError(
            "E_DATASET",
            `${source.file}: ${source.path}: record ${index}: ${problem}`,
            {
              hint: "fix the task's templates or the dataset record",
            },
          );
        const place = { record: index };
        const choices = choicesOf(record, place);
        if (
          !Array.isArray(choices) ||
          choices.length < 2 ||
          !choices.every((c) => typeof c === "string")
        ) {
          throw fail(
            `choices gave ${JSON.stringify(choices)} (expected a list of at least 2 strings)`,
          );
        }
        const labels = labelsOf?.(record, place);
        if (labels !== undefined && (!Array.isArray(labels) || labels.length !== choices.length)) {
          throw fail(
            `labels gave ${JSON.stringify(labels)} (expected ${choices.length} labels, one per choice)`,
          );
        }
        const gold = resolveGold(targetOf(record, place), choices, labels as string[] | undefined);
        if (typeof gold === "string") throw fail(gold);
        return { context: prompt(record, place), choices, gold };
      },

      detail: ({ context, choices, gold }) => ({ context, choices, gold }),

      async execute({ context, choices, gold }, model, signal) {
        if (!model.loglikelihood) {
          throw new BenchError(
            "E_CAPABILITY",
            `${source.file}: ${source.path}: task ${task.id} needs log-likelihoods, which this backend does not provide`,
          );
        }
        const scored = await model.loglikelihood(
          { context, continuations: choices.map((c) => delimiter + c) },
          signal,
        );
        return {
          loglikelihoods: scored.map((s) => s.loglikelihood),
          // lm-eval's completion_len is Python's len(choice): code points, not UTF-16 units.
          choiceChars: choices.map((c) => [...c].length),
          choiceBytes: choices.map((c) => utf8.encode(c).length),
          gold,
          tokens: scored.map((s) => s.tokens),
          greedy: scored.map((s) => s.greedy),
          tokenIds: scored.map((s) => s.tokenIds),
          tokenLogprobs: scored.map((s) => s.tokenLogprobs),
        };
      },

      record: (_request, outcome) => ({
        prediction: argmax(outcome.loglikelihoods),
        predictionNorm: argmax(
          outcome.loglikelihoods.map((ll, i) => ll / (outcome.choiceChars[i] as number)),
        ),
        loglikelihoods: [...outcome.loglikelihoods],
        tokens: outcome.tokens,
        chars: [...outcome.choiceChars],
        bytes: [...outcome.choiceBytes],
        greedy: outcome.greedy,
        tokenIds: outcome.tokenIds,
        tokenLogprobs: outcome.tokenLogprobs,
      }),
    };
  },
};
