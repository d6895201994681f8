import { availableParallelism } from "node:os";
import { BenchError } from "../errors/index.ts";
import type { CodeTask } from "../generated/suite.ts";
import { type CodeOutcome, codeMetrics } from "../pure/metrics/pass-at-k.ts";
import { SandboxPool, type SandboxResult, type SandboxStatus } from "../sandbox/pool.ts";
import { compileTemplate } from "../template/jinja.ts";
import { defaultFewshotDelimiter, exampleSelector } from "./fewshot.ts";
import { cutAtStops, defaultMaxTokens, defaultUntil, sampleSeed } from "./generate.ts";
import {
  configChecks,
  type DatasetRecord,
  generatorOf,
  jsonFields,
  type TaskType,
} from "./types.ts";

export interface CodeRequest {
  prompt: string;
  record: DatasetRecord;
  index: number;
}

export interface CodeItemResult extends CodeOutcome {
  completions: string[];
  runs: { status: SandboxStatus; exception?: string }[];
}

let pool: SandboxPool | undefined;

/** One sandbox pool per process: workers start on the first program and are reused. */
function sandbox(): SandboxPool {
  pool ??= new SandboxPool({ size: Math.max(1, Math.min(4, availableParallelism() - 1)) });
  return pool;
}

/** Closes the process's sandbox pool (tests; the CLI's workers end with it). */
export function closeSandbox(): void {
  pool?.close();
  pool = undefined;
}

/**
 * lm-evaluation-harness mbpp's `extract_code_blocks`: the first ```-fenced block of the text (the
 * text is read after a "```", as lm-eval adds it), else the whole text, after
 * "from __future__ import annotations\n".
 */
export function extractCodeBlocks(text: string): string {
  const annotations = "from __future__ import annotations\n";
  const pattern = /```(?:\w+)?\n?([\s\S]*?)\n?```/;
  let match = pattern.exec(`\`\`\`${text}`);
  if (!match) match = pattern.exec(text.replaceAll("```python", "```"));
  return annotations + (match ? (match[1] as string) : text);
}

/**
 * Code generation checked by running it, as lm-evaluation-harness's humaneval and mbpp with
 * code_eval and human-eval's `check_correctness`: each sample's program (the task's `program`
 * template over the record and the completion) runs in the sandbox; it passes when it raises
 * nothing. pass@k uses human-eval's unbiased estimator over the samples.
 */
export const code: TaskType<CodeTask, CodeRequest, CodeItemResult> = {
  id: "code",
  requires: ["generate"],
  metrics: codeMetrics,

  promptFields: (task) =>
    jsonFields(
      {
        ...task,
        generation: {
          maxTokens: task.generation?.maxTokens ?? defaultMaxTokens,
          until: [...(task.generation?.until ?? defaultUntil)],
          temperature: task.generation?.temperature ?? 0,
        },
        sampling: {
          samples: task.sampling?.samples ?? 1,
          ...(task.sampling?.temperature === undefined
            ? {}
            : {
                temperature: task.sampling.temperature,
                topP: task.sampling.topP ?? 0.95,
                seed: task.sampling.seed ?? 1234,
              }),
        },
      },
      ["prompt", "program", "fewshot", "example", "extract", "generation", "sampling"],
    ),

  compile(task, source) {
    const { at, problems, attempt } = configChecks(source);
    const prompt = attempt(() => compileTemplate(task.prompt, at("prompt")));
    const program = attempt(() => compileTemplate(task.program, at("program")));
    const exampleSource = task.example;
    const example =
      exampleSource === undefined
        ? undefined
        : attempt(() => compileTemplate(exampleSource, at("example")));
    if (task.fewshot && exampleSource === undefined) {
      problems.push(
        `${source.file}: ${source.path}.fewshot: examples need their solved answer (expected example: a Jinja template such as '{{ code }}\\n[DONE]')`,
      );
    }
    const samples = task.sampling?.samples ?? 1;
    const temperature = task.sampling?.temperature;
    if (samples > 1 && temperature === undefined) {
      problems.push(
        `${source.file}: ${source.path}.sampling: ${samples} samples of greedy decoding would all be the same (expected a temperature above 0)`,
      );
    }
    for (const id of task.metrics) {
      const k = /^pass@(\d+)$/.exec(id);
      if (k && Number(k[1]) > samples) {
        problems.push(
          `${source.file}: ${source.path}.metrics: ${id} needs at least ${k[1]} samples per problem (sampling.samples is ${samples})`,
        );
      }
    }
    if (problems.length > 0 || prompt === undefined || program === undefined)
      throw new BenchError("E_INVALID", problems.join("\n"));

    const maxTokens = task.generation?.maxTokens ?? defaultMaxTokens;
    const until = [...(task.generation?.until ?? defaultUntil)];
    const seed = task.sampling?.seed ?? 1234;
    const topP = task.sampling?.topP ?? 0.95;
    const timeoutMs = task.timeoutMs ?? 10_000;
    const examplesFor = exampleSelector(task.fewshot, source);
    const delimiter = task.fewshot?.delimiter ?? defaultFewshotDelimiter;
    const extract = task.extract === "code-block" ? extractCodeBlocks : (text: string) => text;
    const shot = (record: DatasetRecord, i: number) =>
      `${prompt(record, { record: i })}${example?.(record, { record: i }) ?? ""}${delimiter}`;

    return {
      prepare(record, index, context) {
        const shots = examplesFor(index, context)
          .map((i) => shot(context.examples[i] as DatasetRecord, i))
          .join("");
        return { prompt: `${shots}${prompt(record, { record: index })}`, record, index };
      },

      detail: ({ prompt }) => ({ prompt }),

      async execute({ prompt, record, index }, model, signal) {
        const generate = generatorOf(model, source, task.id);
        const completions: string[] = [];
        const pending: Promise<SandboxResult>[] = [];
        for (let s = 0; s < samples; s++) {
          const result = await generate(
            {
              prompt,
              maxTokens,
              stop: until,
              truncate: "left",
              ...(temperature === undefined
                ? {}
                : { temperature, topP, seed: sampleSeed(seed, index, samples, s) }),
            },
            signal,
          );
          const generated = cutAtStops(result.text, until);
          completions.push(generated);
          const completion = extract(generated);
          // The programs run while the next samples are generated; results keep sample order.
          pending.push(
            sandbox().run(program({ ...record, completion }, { record: index }), timeoutMs),
          );
        }
        const runs: CodeItemResult["runs"] = (await Promise.all(pending)).map((run) => ({
          status: run.status,
          ...(run.exception === undefined ? {} : { exception: run.exception }),
        }));
        const passed = runs.filter((r) => r.status === "passed").length;
        return {
          prediction: completions[0] ?? "",
          references: [],
          samples,
          passed,
          completions,
          runs,
        };
      },

      record: (_request, outcome) => ({
        completions: outcome.completions,
        runs: outcome.runs,
        passed: outcome.passed,
      }),
    };
  },
};
