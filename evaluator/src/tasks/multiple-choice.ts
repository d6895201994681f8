import { BenchError } from "../errors/index.ts";
import type { MultipleChoiceTask } from "../generated/suite.ts";
import { multipleChoiceMetrics } from "../pure/metrics/multiple-choice.ts";
import type { MultipleChoiceOutcome } from "../pure/metrics/types.ts";
import { argmax } from "../pure/stats.ts";
import { printable } from "../pure/text.ts";
import { compileExpression, compileTemplate } from "../template/jinja.ts";
import { defaultFewshotDelimiter, exampleSelector } from "./fewshot.ts";
import { type DatasetRecord, jsonFields, type TaskType } from "./types.ts";

export interface MultipleChoiceRequest {
  /** Everything before the choice: preamble, examples and the rendered prompt. */
  context: string;
  choices: string[];
  gold: number[];
  /** Partial scoring: the one continuation scored after each choice. */
  continuation?: string;
  /** The preamble and few-shot examples at the start of `context`, which items share. */
  sharedPrefix?: string;
}

export interface MultipleChoiceResult extends MultipleChoiceOutcome {
  /** Tokens scored per choice. */
  tokens: number[];
  /** Whether each choice was the model's greedy continuation (lm-eval's is_greedy). */
  greedy: boolean[];
  /** Per choice: its continuation's token ids and each token's log-probability. */
  tokenIds: number[][];
  tokenLogprobs: number[][];
  /** Context tokens cut from the left to fit the window (the most over the choices). */
  truncatedTokens: number;
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

  promptFields: (task) =>
    jsonFields(task, [
      "prompt",
      "preamble",
      "choices",
      "continuation",
      "labels",
      "target",
      "targetDelimiter",
      "fewshot",
      "truncate",
    ]),

  compile(task, source) {
    const at = (field: string) => ({ file: source.file, path: `${source.path}.${field}` });
    const prompt =
      task.prompt === undefined ? () => "" : compileTemplate(task.prompt, at("prompt"));
    const preamble =
      task.preamble === undefined ? () => "" : compileTemplate(task.preamble, at("preamble"));
    const continuationOf =
      task.continuation === undefined
        ? undefined
        : compileTemplate(task.continuation, at("continuation"));
    const choicesOf = compileExpression(task.choices, at("choices"));
    const labelsOf = task.labels ? compileExpression(task.labels, at("labels")) : undefined;
    const targetOf = compileExpression(task.target, at("target"));
    const delimiter = task.targetDelimiter ?? " ";
    const truncate = (task.truncate ?? "left") === "left" ? ({ truncate: "left" } as const) : {};
    const fewshot = task.fewshot;
    const examplesField = fewshot?.dataset ? "fewshot.dataset" : "dataset";

    /** An item's prompt text, choices and gold; `where` names the record in messages. */
    const parse = (record: DatasetRecord, index: number, where: string) => {
      const fail = (problem: string) =>
        new BenchError("E_DATASET", `${source.file}: ${source.path}: ${where}: ${problem}`, {
          hint: "fix the task's templates or the dataset record",
        });
      const place = { record: index };
      const choices = choicesOf(record, place);
      if (
        !Array.isArray(choices) ||
        choices.length < 2 ||
        !choices.every((c) => typeof c === "string")
      ) {
        throw fail(
          `choices gave ${printable(JSON.stringify(choices))} (expected a list of at least 2 strings)`,
        );
      }
      const labels = labelsOf?.(record, place);
      if (labels !== undefined && (!Array.isArray(labels) || labels.length !== choices.length)) {
        throw fail(
          `labels gave ${printable(JSON.stringify(labels))} (expected ${choices.length} labels, one per choice)`,
        );
      }
      const gold = resolveGold(targetOf(record, place), choices, labels as string[] | undefined);
      if (typeof gold === "string") throw fail(gold);
      const text = prompt(record, place);
      const continuation = continuationOf?.(record, place);
      return { text, choices: choices as string[], gold, continuation };
    };

    /** One solved example, as lm-eval's ContextSampler writes it: question, delimiter, answer. */
    const exampleCache = new Map<number, string>();
    const example = (record: DatasetRecord, index: number): string => {
      const cached = exampleCache.get(index);
      if (cached !== undefined) return cached;
      const { text, choices, gold, continuation } = parse(
        record,
        index,
        `${examplesField} record ${index}`,
      );
      const answer = choices[gold[0] as number] as string;
      const written =
        continuation === undefined
          ? `${text}${delimiter}${answer}`
          : `${text}${answer}${delimiter}${continuation}`;
      exampleCache.set(index, written);
      return written;
    };

    /** The example records for item `index`: lm-eval's first_n, or seeded draws; never the item. */
    const examplesFor = exampleSelector(fewshot, source);
    const fewshotDelimiter = fewshot?.delimiter ?? defaultFewshotDelimiter;

    return {
      prepare(record, index, context) {
        const { text, choices, gold, continuation } = parse(record, index, `record ${index}`);
        const shots = examplesFor(index, context)
          .map((i) => `${example(context.examples[i] as DatasetRecord, i)}${fewshotDelimiter}`)
          .join("");
        const shared = `${preamble(record, { record: index })}${shots}`;
        return {
          context: `${shared}${text}`,
          choices,
          gold,
          ...(continuation === undefined ? {} : { continuation }),
          ...(shared === "" ? {} : { sharedPrefix: shared }),
        };
      },

      detail: ({ context, choices, gold, continuation }) => ({
        context,
        choices,
        gold,
        ...(continuation === undefined ? {} : { continuation }),
      }),

      async execute({ context, choices, gold, continuation, sharedPrefix }, model, signal) {
        if (!model.loglikelihood) {
          throw new BenchError(
            "E_CAPABILITY",
            `${source.file}: ${source.path}: task ${task.id} needs log-likelihoods, which this backend does not provide`,
          );
        }
        const score = model.loglikelihood.bind(model);
        const shared = sharedPrefix === undefined ? {} : { sharedPrefix };
        // Partial scoring: each choice completes the context, and one continuation is scored after
        // each (lm-eval's multiple inputs); otherwise each choice is the continuation.
        const scored =
          continuation === undefined
            ? await score(
                {
                  context,
                  continuations: choices.map((c) => delimiter + c),
                  ...truncate,
                  ...shared,
                },
                signal,
              )
            : await Promise.all(
                choices.map(async (c) => {
                  const [only] = await score(
                    {
                      context: context + c,
                      continuations: [delimiter + continuation],
                      ...truncate,
                      ...shared,
                    },
                    signal,
                  );
                  if (!only)
                    throw new BenchError("E_BACKEND", "the backend scored no continuation");
                  return only;
                }),
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
          truncatedTokens: Math.max(...scored.map((s) => s.truncatedTokens)),
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
        ...(outcome.truncatedTokens > 0 ? { truncatedTokens: outcome.truncatedTokens } : {}),
      }),
    };
  },
};
