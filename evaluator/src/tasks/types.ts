import type { Capability, LoadedModel } from "../backends/types.ts";
import { BenchError, isBenchError } from "../errors/index.ts";
import type { Task } from "../generated/suite.ts";
import type { Json, Metric } from "../pure/metrics/types.ts";

/** Where a task is declared, for messages: the suite file and the task's JSON path. */
export interface TaskSource {
  file: string;
  path: string;
}

/** A JSON object: what the samples file keeps of an item. */
export type JsonObject = { [k: string]: Json };

/**
 * A task type owns its config (one branch of the suite schema's union, selected by `type`), the
 * request it builds from a dataset record, and the outcome it gets back from a model, which its
 * metrics score. Adding a task type is a schema branch, a file here and a registry entry.
 */
export interface TaskType<Config extends Task, Request, Outcome> {
  id: Config["type"];
  /** Backend capabilities the task needs. */
  requires: readonly Capability[];
  /** The metrics that read this task type's outcome, by id. */
  metrics: Readonly<Record<string, Metric<Outcome, Json>>>;
  /**
   * The metrics as one task configures them (options such as exact_match's ignore_case), by id;
   * without it, `metrics` as they are. Options are checked by `compile`.
   */
  metricsFor?(config: Config): Readonly<Record<string, Metric<Outcome, Json>>>;
  /** The config fields that shape what the model sees; their digest is `promptSha256`. */
  promptFields(config: Config): Json;
  /** Compiles the task once (templates parsed, errors name file and path). */
  compile(config: Config, source: TaskSource): CompiledTask<Request, Outcome>;
}

/** A model a task loads itself (a judge, a baseline, a scorer), with what identifies it in results. */
export interface LoadedJudge {
  model: LoadedModel;
  /** The manifest's id, and the sha256 of the manifest and of its files. */
  identity: {
    id: string;
    manifestSha256: string;
    /** Absent for a served model (backend openai). */
    weightsSha256?: string;
    tokenizerSha256?: string;
    purpose: string;
  };
}

/** A role a model other than the evaluated one plays in a task. */
export type ModelRole = "judge" | "baseline" | "scorer";

/** A model a task loads: its manifest (an absolute path) and its role. */
export interface TaskModel {
  manifest: string;
  role: ModelRole;
}

/** What the runner lends a task beyond the model under evaluation. */
export interface TaskRuntime {
  /**
   * The model of a manifest (a path from the repository root, as `bench eval` takes it), loaded
   * once per run with the run's threads and GPU settings and disposed at its end. A judge or a
   * baseline is loaded to generate, a scorer to classify; `bench eval --judge` replaces judges.
   */
  loadModel(manifest: string, role: ModelRole): Promise<LoadedJudge>;
}

/** A dataset record as read: a JSON object. */
export type DatasetRecord = Readonly<Record<string, unknown>>;

/** What every item of a task may draw on besides its own record. */
export interface PrepareContext {
  /** Records to take in-context examples from (the task's `fewshot`). */
  examples: readonly DatasetRecord[];
  /** True when `examples` are the task's own items: an item is never its own example. */
  examplesAreItems: boolean;
}

export interface CompiledTask<Request, Outcome> {
  /**
   * The models the task loads besides the evaluated one: the runner resolves them before the
   * run (their digests go into its key and its result) and loads them before the first item.
   */
  models?: readonly TaskModel[];
  /** One dataset record as a request; throws E_DATASET naming the record on bad data. */
  prepare(record: DatasetRecord, index: number, context: PrepareContext): Request;
  /** What the samples file keeps of the request (the prompt, the choices, the gold answer). */
  detail(request: Request): JsonObject;
  /** Runs the request on a model. A BenchError fails this item only; anything else the run. */
  execute(
    request: Request,
    model: LoadedModel,
    signal?: AbortSignal,
    runtime?: TaskRuntime,
  ): Promise<Outcome>;
  /** What the samples file keeps of the outcome (log-likelihoods, predictions, ...). */
  record(request: Request, outcome: Outcome): JsonObject;
}

/**
 * `fields` of a config as JSON for the prompt digest. Schema-checked YAML data is plain JSON
 * already; fields a config leaves out drop out, so adding an optional field keeps old digests.
 */
export function jsonFields<T extends object, K extends keyof T>(
  config: T,
  fields: readonly K[],
): Json {
  return JSON.parse(JSON.stringify(Object.fromEntries(fields.map((f) => [f, config[f]]))));
}

/**
 * What a task type's `compile` uses to check a config: `at(field)` names a field of the task for
 * messages, and `attempt` runs one compile step, adding the lines of a BenchError it throws to
 * `problems` (so that every problem is listed at once) and giving undefined for that step.
 */
export function configChecks(source: TaskSource) {
  const problems: string[] = [];
  return {
    problems,
    at: (field: string) => ({ file: source.file, path: `${source.path}.${field}` }),
    attempt<T>(work: () => T): T | undefined {
      try {
        return work();
      } catch (error) {
        if (!isBenchError(error)) throw error;
        problems.push(...error.message.split("\n"));
        return undefined;
      }
    },
  };
}

/** The model's generate method, bound; E_CAPABILITY naming the task when it cannot generate. */
export function generatorOf(
  model: LoadedModel,
  source: TaskSource,
  taskId: string,
): NonNullable<LoadedModel["generate"]> {
  if (!model.generate) {
    throw new BenchError(
      "E_CAPABILITY",
      `${source.file}: ${source.path}: task ${taskId} needs text generation, which this backend does not provide`,
    );
  }
  return model.generate.bind(model);
}

/**
 * A judge or baseline the runtime loads, with its generate method bound; E_CAPABILITY naming the
 * suite's field (`field`, below the task's path) when it cannot generate.
 */
export async function loadGenerator(
  models: TaskRuntime,
  manifest: string,
  role: "judge" | "baseline",
  source: TaskSource,
  field: string,
): Promise<{ generate: NonNullable<LoadedModel["generate"]>; identity: LoadedJudge["identity"] }> {
  const loaded = await models.loadModel(manifest, role);
  const generate = loaded.model.generate?.bind(loaded.model);
  if (!generate) {
    throw new BenchError(
      "E_CAPABILITY",
      `${source.file}: ${source.path}.${field}: the ${role} ${loaded.identity.id} cannot generate text`,
    );
  }
  return { generate, identity: loaded.identity };
}

/** The runtime that loads a task's other models (a judge, a scorer); E_CAPABILITY without one. */
export function runtimeOf(
  runtime: TaskRuntime | undefined,
  source: TaskSource,
  what: "judge" | "scorer",
): TaskRuntime {
  if (!runtime) {
    throw new BenchError(
      "E_CAPABILITY",
      `${source.file}: ${source.path}: no ${what} can be loaded here`,
    );
  }
  return runtime;
}
