import type { GenerateResult as BackendResult } from "../backends/types.ts";
import { BenchError } from "../errors/index.ts";
import type { GenerateTask } from "../generated/suite.ts";
import { compileFilters, compilePattern, FilterError, type FilterStep } from "../pure/filters.ts";
import { exactMatch } from "../pure/metrics/exact-match.ts";
import { generateMetrics } from "../pure/metrics/generate.ts";
import { goldChecks } from "../pure/metrics/gold.ts";
import type { GenerateOutcome, Json, Metric } from "../pure/metrics/types.ts";
import { compileExpression, compileTemplate } from "../template/jinja.ts";
import { defaultFewshotDelimiter, exampleSelector } from "./fewshot.ts";
import {
  configChecks,
  type DatasetRecord,
  generatorOf,
  jsonFields,
  type TaskType,
} from "./types.ts";

/** lm-evaluation-harness's `max_gen_toks` default. */
export const defaultMaxTokens = 256;
/** lm-evaluation-harness's default `until`: the task's `fewshot_delimiter`, "\n\n". */
export const defaultUntil: readonly string[] = ["\n\n"];
/** lm-evaluation-harness's default `target_delimiter`, between an example's prompt and answer. */
export const defaultTargetDelimiter = " ";

export interface GenerateRequest {
  /** Everything the model continues: preamble, examples and the rendered prompt. */
  prompt: string;
  references: string[];
  /** The task's `gold` expression over the record, when it has one. */
  gold?: Json;
}

export interface GenerateItemResult extends GenerateOutcome {
  /** The model's text, cut at the first stop sequence (the sequence itself left out). */
  generation: string;
  finishReason: BackendResult["finishReason"];
  /** Tokens generated. */
  tokens: number;
  /** Prompt tokens dropped from the left to fit the context (0 when none). */
  truncatedTokens: number;
}

type MetricOptions = NonNullable<GenerateTask["metricOptions"]>;

/** Builders of option-bearing metrics, by metric id (each metric's factory). */
const withOptions: {
  [K in keyof MetricOptions]-?: (options: NonNullable<MetricOptions[K]>) => Metric<GenerateOutcome>;
} = {
  exact_match: exactMatch,
};

/** The generation metrics, with each one the task gives options for built from them. */
function metricsFor(task: GenerateTask): Readonly<Record<string, Metric<GenerateOutcome, Json>>> {
  const built: Record<string, Metric<GenerateOutcome, Json>> = { ...generateMetrics };
  for (const [id, options] of Object.entries(task.metricOptions ?? {})) {
    if (Object.hasOwn(withOptions, id))
      built[id] = withOptions[id as keyof MetricOptions](options as never) as Metric<
        GenerateOutcome,
        Json
      >;
  }
  return built;
}

/**
 * The seed of sample `s` of item `index` when each item draws `samples` samples from `seed`: every
 * sample of a run has its own, the same on every run and after a resume.
 */
export function sampleSeed(seed: number, index: number, samples: number, s: number): number {
  return (seed + index * samples + s) >>> 0;
}

/** lm-evaluation-harness cuts a generation at the first occurrence of any `until` string. */
export function cutAtStops(text: string, until: readonly string[]): string {
  let end = text.length;
  for (const stop of until) {
    const at = text.indexOf(stop);
    if (at >= 0 && at < end) end = at;
  }
  return text.slice(0, end);
}

/**
 * The stop sequences: the task's, else lm-evaluation-harness's default, `[fewshot_delimiter]`
 * (`ConfigurableTask.__init__` without generation_kwargs).
 */
function untilOf(task: GenerateTask): string[] {
  return [
    ...(task.generation?.until ??
      (task.fewshot?.delimiter === undefined ? defaultUntil : [task.fewshot.delimiter])),
  ];
}

function references(target: unknown): string[] | string {
  if (typeof target === "string") return [target];
  if (
    Array.isArray(target) &&
    target.length > 0 &&
    target.every((t): t is string => typeof t === "string")
  )
    return target;
  return `target gave ${JSON.stringify(target)?.slice(0, 200)} (expected a string or a non-empty list of strings; a number needs '| string')`;
}

/**
 * Free generation, as lm-evaluation-harness's `output_type: generate_until`: the model continues
 * the rendered prompt greedily until a stop sequence, the end of generation or `maxTokens`; the
 * filter chain turns the text into the prediction that the metrics compare with the references.
 */
export const generate: TaskType<GenerateTask, GenerateRequest, GenerateItemResult> = {
  id: "generate",
  requires: ["generate"],
  metrics: generateMetrics,
  metricsFor,

  promptFields: (task) =>
    jsonFields(
      {
        ...task,
        generation: {
          maxTokens: task.generation?.maxTokens ?? defaultMaxTokens,
          until: untilOf(task),
          temperature: task.generation?.temperature ?? 0,
        },
        chatTemplate: task.chatTemplate ?? false,
        filters: task.filters ?? [],
      },
      [
        "prompt",
        "preamble",
        "target",
        "gold",
        "targetDelimiter",
        "fewshot",
        "generation",
        "chatTemplate",
        "filters",
        "truncate",
      ],
    ),

  compile(task, source) {
    const { at, problems, attempt } = configChecks(source);
    const prompt = attempt(() => compileTemplate(task.prompt, at("prompt")));
    const preambleSource = task.preamble;
    const preamble =
      preambleSource === undefined
        ? () => ""
        : attempt(() => compileTemplate(preambleSource, at("preamble")));
    const targetOf = attempt(() => compileExpression(task.target, at("target")));
    const goldSource = task.gold;
    const goldOf =
      goldSource === undefined
        ? undefined
        : attempt(() => compileExpression(goldSource, at("gold")));
    const goldMetrics = task.metrics.filter((id) => Object.hasOwn(goldChecks, id));
    // Metrics that share one check (TruthfulQA's twelve) run it once, named by the first.
    const uniqueGoldChecks = new Map<NonNullable<(typeof goldChecks)[string]>, string>();
    for (const id of goldMetrics) {
      const check = goldChecks[id];
      if (check && !uniqueGoldChecks.has(check)) uniqueGoldChecks.set(check, id);
    }
    if (goldMetrics.length > 0 && goldSource === undefined) {
      problems.push(
        `${source.file}: ${source.path}.metrics: ${goldMetrics.join(", ")} read(s) structured gold, which the task does not give (expected gold: a Jinja expression over the record, e.g. "{'answer': answer, 'answer_type': answer_type, 'scale': scale}")`,
      );
    }
    let filter = (text: string) => text;
    try {
      filter = compileFilters((task.filters ?? []) as FilterStep[]);
    } catch (error) {
      if (!(error instanceof FilterError)) throw error;
      problems.push(`${source.file}: ${source.path}.filters${error.field}: ${error.message}`);
    }
    for (const [id, options] of Object.entries(task.metricOptions ?? {})) {
      const field = `${source.path}.metricOptions.${id}`;
      if (!task.metrics.includes(id)) {
        problems.push(
          `${source.file}: ${field}: options for '${id}', which the task's metrics do not list (expected one of: ${task.metrics.join(", ")})`,
        );
        continue;
      }
      const regexes = (options as { regexesToIgnore?: string[] }).regexesToIgnore ?? [];
      const bad = regexes.flatMap((pattern, k) => {
        try {
          compilePattern(pattern);
          return [];
        } catch (error) {
          if (!(error instanceof FilterError)) throw error;
          return [`${source.file}: ${field}.regexesToIgnore[${k}]: ${error.message}`];
        }
      });
      problems.push(...bad);
      if (bad.length > 0) continue;
      try {
        withOptions[id as keyof MetricOptions](options as never);
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        problems.push(`${source.file}: ${field}: ${error.message}`);
      }
    }
    if (
      problems.length > 0 ||
      prompt === undefined ||
      preamble === undefined ||
      targetOf === undefined
    )
      throw new BenchError("E_INVALID", problems.join("\n"));

    const maxTokens = task.generation?.maxTokens ?? defaultMaxTokens;
    const until = untilOf(task);
    const chat = task.chatTemplate ?? false;
    const truncate = (task.truncate ?? "left") === "left" ? ({ truncate: "left" } as const) : {};
    const targetDelimiter = task.targetDelimiter ?? defaultTargetDelimiter;
    const fewshot = task.fewshot;
    const fewshotDelimiter = fewshot?.delimiter ?? defaultFewshotDelimiter;
    const examplesField = fewshot?.dataset ? "fewshot.dataset" : "dataset";

    /** A record's rendered prompt and references; `where` names the record in messages. */
    const parse = (record: DatasetRecord, index: number, where: string) => {
      const place = { record: index };
      const target = targetOf(record, place);
      const refs = references(target);
      if (typeof refs === "string")
        throw new BenchError("E_DATASET", `${source.file}: ${source.path}: ${where}: ${refs}`, {
          hint: "fix the task's target expression or the dataset record",
        });
      let gold: Json | undefined;
      if (goldOf) {
        gold = goldOf(record, place) as Json;
        for (const [check, id] of uniqueGoldChecks) {
          const problem = check(gold);
          if (problem !== undefined)
            throw new BenchError(
              "E_DATASET",
              `${source.file}: ${source.path}.gold: ${where}: ${problem} (as ${id} reads it)`,
              { hint: "fix the task's gold expression or the dataset record" },
            );
        }
      }
      return {
        text: prompt(record, place),
        references: refs,
        noTarget: target === "",
        ...(gold === undefined ? {} : { gold }),
      };
    };

    /**
     * One solved example and the delimiter after it, as lm-eval's ContextSampler.get_context
     * writes it: prompt, target delimiter, the first reference; an empty target adds only the
     * prompt (its `if doc_target != ""`).
     */
    const exampleCache = new WeakMap<DatasetRecord, string>();
    const example = (record: DatasetRecord, index: number): string => {
      const cached = exampleCache.get(record);
      if (cached !== undefined) return cached;
      const { text, references, noTarget } = parse(
        record,
        index,
        `${examplesField} record ${index}`,
      );
      const written = noTarget
        ? text
        : `${text}${targetDelimiter}${references[0]}${fewshotDelimiter}`;
      exampleCache.set(record, written);
      return written;
    };

    /** The example records for item `index`: lm-eval's first_n, or seeded draws; never the item. */
    const examplesFor = exampleSelector(fewshot, source);

    return {
      prepare(record, index, context) {
        const { text, references, gold } = parse(record, index, `record ${index}`);
        const shots = examplesFor(index, context)
          .map((i) => example(context.examples[i] as DatasetRecord, i))
          .join("");
        return {
          prompt: `${preamble(record, { record: index })}${shots}${text}`,
          references,
          ...(gold === undefined ? {} : { gold }),
        };
      },

      detail: ({ prompt, references, gold }) => ({
        prompt,
        references,
        ...(gold === undefined ? {} : { gold }),
      }),

      async execute({ prompt, references, gold }, model, signal) {
        const generate = generatorOf(model, source, task.id);
        const result = await generate(
          { prompt, maxTokens, stop: until, ...(chat ? { chatTemplate: true } : {}), ...truncate },
          signal,
        );
        const generation = cutAtStops(result.text, until);
        return {
          prediction: filter(generation),
          references,
          ...(gold === undefined ? {} : { gold }),
          generation,
          finishReason: generation.length < result.text.length ? "stop" : result.finishReason,
          tokens: result.tokens,
          truncatedTokens: result.truncatedTokens,
        };
      },

      record: (_request, outcome) => ({
        generation: outcome.generation,
        prediction: outcome.prediction,
        finishReason: outcome.finishReason,
        tokens: outcome.tokens,
        ...(outcome.truncatedTokens > 0 ? { truncatedTokens: outcome.truncatedTokens } : {}),
        // Timings stay out of the samples, which must be the same bytes on every run.
      }),
    };
  },
};
