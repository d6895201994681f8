import { dirname, resolve } from "node:path";
import type { LoadedModel } from "../backends/types.ts";
import { BenchError } from "../errors/index.ts";
import type { JudgeTask } from "../generated/suite.ts";
import { compilePattern, FilterError, maxRegexInput } from "../pure/filters.ts";
import {
  combineVerdicts,
  type JudgeOutcome,
  judgeMetrics,
  pairwiseMetrics,
  type Verdict,
} from "../pure/metrics/judge.ts";
import { printable } from "../pure/text.ts";
import { compileTemplate } from "../template/jinja.ts";
import { cutAtStops, defaultMaxTokens, defaultUntil } from "./generate.ts";
import { modelPathProblem } from "./models.ts";
import {
  configChecks,
  type DatasetRecord,
  generatorOf,
  type JsonObject,
  jsonFields,
  loadGenerator,
  runtimeOf,
  type TaskType,
} from "./types.ts";

/** MT-Bench's single-answer rating format, "Rating: [[5]]". */
export const defaultRatingPattern = String.raw`\[\[(\d+(?:\.\d+)?)\]\]`;
/** MT-Bench's pair-v2 verdict format: "[[A]]", "[[B]]", or "[[C]]" for a tie. */
export const defaultVerdictPattern = String.raw`\[\[([ABC])\]\]`;

/** The first group of the first match of `pattern` in a judgment (within the regex input cap). */
function firstGroup(judgment: string, pattern: RegExp): string | undefined {
  pattern.lastIndex = 0;
  return pattern.exec(judgment.slice(0, maxRegexInput))?.[1];
}

/** The verdict in a pairwise judgment: the first group of the first match, A, B or C. */
export function parseVerdict(judgment: string, pattern: RegExp): "A" | "B" | "C" | undefined {
  const verdict = firstGroup(judgment, pattern)?.trim();
  return verdict === "A" || verdict === "B" || verdict === "C" ? verdict : undefined;
}

/** How a task asks its judge. */
export interface JudgeAsk {
  maxTokens: number;
  until: readonly string[];
  chatTemplate?: boolean;
}

/** The judge's judgment of `prompt`, cut at the first stop sequence. */
export async function askJudge(
  generate: NonNullable<LoadedModel["generate"]>,
  prompt: string,
  ask: JudgeAsk,
  signal?: AbortSignal,
): Promise<string> {
  const judged = await generate(
    {
      prompt,
      maxTokens: ask.maxTokens,
      stop: ask.until,
      truncate: "left",
      ...(ask.chatTemplate ? { chatTemplate: true } : {}),
    },
    signal,
  );
  return cutAtStops(judged.text, ask.until);
}

/** An item's error for a judgment without what the task parses from it (counted, never a zero). */
export function unparseableJudgment(
  where: string,
  judgeId: string,
  judgment: string,
  expected: string,
): BenchError {
  return new BenchError(
    "E_JUDGE_PARSE",
    `${where}: the judgment of ${judgeId} holds no ${expected}: ${printable(JSON.stringify(judgment.slice(-160)), 200)}`,
    { hint: "an unparseable judgment is an error of the item, counted in the result" },
  );
}

export interface JudgeRequest {
  prompt: string;
  record: DatasetRecord;
  index: number;
}

export interface JudgeItemResult extends JudgeOutcome {
  /** The judgment (single), or the two judgments with the model's answer first and second. */
  judgments: string[];
  judge: JsonObject;
  baseline?: { answer: string; model: JsonObject };
}

/**
 * The rating in a judgment: the first group of the first match of `pattern`, a number within
 * [min, max]; undefined when there is none (the item then fails with E_JUDGE_PARSE).
 */
export function parseRating(
  judgment: string,
  pattern: RegExp,
  scale: { min: number; max: number },
): number | undefined {
  const text = firstGroup(judgment, pattern);
  if (text === undefined || !/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text.trim())) return undefined;
  const rating = Number(text);
  return Number.isFinite(rating) && rating >= scale.min && rating <= scale.max ? rating : undefined;
}

/**
 * Open-ended generation graded by a judge model, as MT-Bench's single-answer grading: the model
 * answers; the judge (its own manifest, loaded once per run) reads the rubric with the answer and
 * writes a judgment whose rating is parsed strictly. The judge's identity and judgment are kept
 * with every item.
 */
export const judge: TaskType<JudgeTask, JudgeRequest, JudgeItemResult> = {
  id: "judge",
  requires: ["generate"],
  metrics: judgeMetrics,

  promptFields: (task) => jsonFields(task, ["prompt", "chatTemplate", "generation", "judge"]),

  compile(task, source) {
    const { at, problems, attempt } = configChecks(source);
    const prompt = attempt(() => compileTemplate(task.prompt, at("prompt")));
    const pairwiseMode = task.judge.mode === "pairwise";
    if (pairwiseMode && task.judge.baseline === undefined) {
      problems.push(
        `${source.file}: ${source.path}.judge.baseline: pairwise judging compares with a baseline model (expected the path of its manifest)`,
      );
    }
    for (const id of task.metrics) {
      const forPairs = Object.hasOwn(pairwiseMetrics, id);
      if ((id === "judge_score" && pairwiseMode) || (forPairs && !pairwiseMode)) {
        problems.push(
          `${source.file}: ${source.path}.metrics: ${id} needs judge.mode ${forPairs ? "pairwise" : "single"}`,
        );
      }
    }
    const judgePrompt = attempt(() => compileTemplate(task.judge.prompt, at("judge.prompt")));
    let pattern: RegExp | undefined;
    try {
      pattern = compilePattern(
        task.judge.pattern ?? (pairwiseMode ? defaultVerdictPattern : defaultRatingPattern),
      );
    } catch (error) {
      if (!(error instanceof FilterError)) throw error;
      problems.push(`${source.file}: ${source.path}.judge.pattern: ${error.message}`);
    }
    const scale = task.judge.scale ?? { min: 1, max: 10 };
    if (!(scale.min < scale.max)) {
      problems.push(
        `${source.file}: ${source.path}.judge.scale: min ${scale.min} is not below max ${scale.max}`,
      );
    }
    for (const [field, path] of [
      ["judge.model", task.judge.model],
      ["judge.baseline", task.judge.baseline],
    ] as const) {
      if (path === undefined) continue;
      const problem = modelPathProblem(source, field, path);
      if (problem) problems.push(problem);
    }
    if (problems.length > 0 || !prompt || !judgePrompt || !pattern)
      throw new BenchError("E_INVALID", problems.join("\n"));
    const rating = pattern;
    const manifest = resolve(dirname(source.file), task.judge.model);
    // Only pairwise judging reads a baseline.
    const baselineManifest =
      !pairwiseMode || task.judge.baseline === undefined
        ? undefined
        : resolve(dirname(source.file), task.judge.baseline);
    const until = [...(task.generation?.until ?? defaultUntil)];
    const judgeUntil = [...(task.judge.generation?.until ?? defaultUntil)];

    return {
      models: [
        { manifest, role: "judge" },
        ...(baselineManifest ? [{ manifest: baselineManifest, role: "baseline" as const }] : []),
      ],

      prepare: (record, index) => ({ prompt: prompt(record, { record: index }), record, index }),

      // The judge's manifest as the suite names it; its id and digests come with each judgment.
      detail: ({ prompt }) => ({
        prompt,
        judgeManifest: task.judge.model,
        ...(task.judge.baseline === undefined ? {} : { baselineManifest: task.judge.baseline }),
      }),

      async execute({ prompt, record, index }, model, signal, runtime) {
        const generate = generatorOf(model, source, task.id);
        const models = runtimeOf(runtime, source, "judge");
        /** The task's answer to the prompt by a model: the model evaluated, or the baseline. */
        const answerBy = (generate: NonNullable<LoadedModel["generate"]>) =>
          askJudge(
            generate,
            prompt,
            {
              maxTokens: task.generation?.maxTokens ?? defaultMaxTokens,
              until,
              ...(task.chatTemplate ? { chatTemplate: true } : {}),
            },
            signal,
          );
        const answer = await answerBy(generate);
        const grader = await loadGenerator(models, manifest, "judge", source, "judge.model");
        const judgeGenerate = grader.generate;
        const ask = (variables: Record<string, string>) =>
          askJudge(
            judgeGenerate,
            judgePrompt({ ...record, ...variables }, { record: index }),
            {
              maxTokens: task.judge.generation?.maxTokens ?? defaultMaxTokens,
              until: judgeUntil,
              ...(task.judge.chatTemplate ? { chatTemplate: true } : {}),
            },
            signal,
          );
        const unparseable = (judgment: string, expected: string) =>
          unparseableJudgment(
            `${source.file}: ${source.path}`,
            grader.identity.id,
            judgment,
            expected,
          );
        if (!baselineManifest) {
          const judgment = await ask({ answer });
          const parsed = parseRating(judgment, rating, scale);
          if (parsed === undefined)
            throw unparseable(judgment, `rating from ${scale.min} to ${scale.max}`);
          return {
            prediction: answer,
            references: [],
            rating: parsed,
            judgments: [judgment],
            judge: { ...grader.identity },
          };
        }
        // Pairwise: the baseline answers the same prompt; the judge compares in both orders.
        const baseline = await loadGenerator(
          models,
          baselineManifest,
          "baseline",
          source,
          "judge.baseline",
        );
        const other = await answerBy(baseline.generate);
        const first = await ask({ answer_a: answer, answer_b: other });
        const second = await ask({ answer_a: other, answer_b: answer });
        const v1 = parseVerdict(first, rating);
        if (v1 === undefined) throw unparseable(first, "verdict [[A]], [[B]] or [[C]]");
        const v2 = parseVerdict(second, rating);
        if (v2 === undefined) throw unparseable(second, "verdict [[A]], [[B]] or [[C]]");
        // From the model's side: first asked with it as A, then as B.
        const asA: Verdict = v1 === "A" ? "win" : v1 === "B" ? "loss" : "tie";
        const asB: Verdict = v2 === "B" ? "win" : v2 === "A" ? "loss" : "tie";
        return {
          prediction: answer,
          references: [],
          pairwise: { first: asA, second: asB, combined: combineVerdicts(asA, asB) },
          judgments: [first, second],
          judge: { ...grader.identity },
          baseline: { answer: other, model: { ...baseline.identity } },
        };
      },

      record: (_request, outcome) => ({
        answer: outcome.prediction,
        judgments: outcome.judgments,
        ...(outcome.rating === undefined ? {} : { rating: outcome.rating }),
        ...(outcome.pairwise === undefined ? {} : { verdicts: outcome.pairwise }),
        judge: outcome.judge,
        ...(outcome.baseline === undefined ? {} : { baseline: outcome.baseline }),
      }),
    };
  },
};
