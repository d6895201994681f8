import type { Capability, LoadedModel } from "../backends/types.ts";
import { BenchError } from "../errors/index.ts";
import type { Dataset, Task } from "../generated/suite.ts";
import { unknownIdMessage } from "../pure/did-you-mean.ts";
import { metrics as allMetrics } from "../pure/metrics/registry.ts";
import type { AnyMetric, Json } from "../pure/metrics/types.ts";
import { canonicalize, sha256Hex } from "../result/canonical.ts";
import { type TaskConfigOf, type TaskTypeId, tasks } from "./registry.ts";
import type { DatasetRecord, JsonObject, TaskModel, TaskRuntime, TaskSource } from "./types.ts";

/** An item ready to run: its request is held by `run`, typed inside its task type. */
export interface RunnableItem {
  task: string;
  /** Position of the record in the dataset file (0-based). */
  index: number;
  /** What the samples file keeps of the request. */
  detail: JsonObject;
  /**
   * Runs the item and scores its outcome with the task's metrics. Throws a BenchError when the
   * item fails (recorded as data by the runner); anything else stops the run.
   */
  run(
    model: LoadedModel,
    signal?: AbortSignal,
    runtime?: TaskRuntime,
  ): Promise<{ scores: JsonObject; record: JsonObject }>;
}

/** A suite task after loading: its config, its task type and metrics, compiled templates. */
export interface ResolvedTask {
  id: string;
  type: TaskTypeId;
  config: Task;
  source: TaskSource;
  requires: readonly Capability[];
  /** Models the task loads besides the evaluated one (judges, baselines, scorers). */
  models: readonly TaskModel[];
  /** The task's metrics, in the order the suite lists them. */
  metrics: readonly AnyMetric[];
  /** sha256 of the canonical JSON of the fields that shape prompts. */
  promptSha256: string;
  /**
   * The suite file that declares the task and the folder its dataset paths stay in: the
   * including suite's own for its tasks, the other suite's for tasks it includes.
   */
  origin?: { file: string; root: string };
  /** A second dataset the task reads (its few-shot examples), with its JSON path for messages. */
  exampleDataset?: { ref: Dataset; field: string };
  /**
   * Dataset records as runnable items; throws E_DATASET naming the first bad record. `examples`
   * are the records of `exampleDataset` (default: the records themselves).
   */
  prepare(records: readonly DatasetRecord[], examples?: readonly DatasetRecord[]): RunnableItem[];
}

/**
 * Binds a task config to its task type. Problems the schema cannot see (metrics of another task
 * type, template syntax) are thrown as one E_INVALID error, one line each.
 */
export function resolveTask<K extends TaskTypeId>(
  config: TaskConfigOf<K>,
  source: TaskSource,
): ResolvedTask {
  const type = tasks[config.type];
  const problems: string[] = [];
  const metrics: (typeof type.metrics)[string][] = [];
  let offered = type.metrics;
  try {
    offered = type.metricsFor?.(config) ?? type.metrics;
  } catch {
    // Bad options: compile below reports them with their JSON path.
  }
  for (const [j, id] of config.metrics.entries()) {
    const metric = Object.hasOwn(offered, id) ? offered[id] : undefined;
    if (metric) metrics.push(metric);
    else if (Object.hasOwn(allMetrics, id))
      problems.push(
        `${source.path}.metrics[${j}]: metric '${id}' does not apply to task type '${config.type}' (expected one of: ${Object.keys(type.metrics).join(", ")})`,
      );
    else
      problems.push(
        `${source.path}.metrics[${j}]: ${unknownIdMessage("metric", id, Object.keys(offered))}`,
      );
  }
  let compiled: ReturnType<typeof type.compile> | undefined;
  try {
    compiled = type.compile(config, source);
  } catch (error) {
    if (!(error instanceof BenchError)) throw error;
    // Template errors read `file: path: problem`; the loader prefixes the file once.
    problems.push(...error.message.split("\n").map((line) => stripFile(line, source.file)));
  }
  if (problems.length > 0 || compiled === undefined) {
    throw new BenchError("E_INVALID", problems.map((p) => `${source.file}: ${p}`).join("\n"));
  }
  const task = compiled;
  const exampleRef = "fewshot" in config ? config.fewshot?.dataset : undefined;
  return {
    id: config.id,
    type: config.type,
    config,
    source,
    requires: type.requires,
    models: task.models ?? [],
    metrics,
    promptSha256: sha256Hex(canonicalize(type.promptFields(config))),
    ...(exampleRef
      ? { exampleDataset: { ref: exampleRef, field: `${source.path}.fewshot.dataset` } }
      : {}),
    prepare: (records, examples) =>
      records.map((record, index): RunnableItem => {
        const context = { examples: examples ?? records, examplesAreItems: examples === undefined };
        const request = task.prepare(record, index, context);
        return {
          task: config.id,
          index,
          detail: task.detail(request),
          async run(model, signal, runtime) {
            const outcome = await task.execute(request, model, signal, runtime);
            const scores: { [k: string]: Json } = {};
            for (const metric of metrics) scores[metric.id] = metric.score(outcome);
            return { scores, record: task.record(request, outcome) };
          },
        };
      }),
  };
}

function stripFile(line: string, file: string): string {
  return line.startsWith(`${file}: `) ? line.slice(file.length + 2) : line;
}
