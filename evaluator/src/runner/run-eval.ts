import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveArtifact } from "../artifacts/resolve.ts";
import { backends } from "../backends/registry.ts";
import type { LoadedModel, LoadOptions } from "../backends/types.ts";
import { displayPath, type Loaded, loadManifest, loadSuite } from "../config/load.ts";
import { validateAgainst } from "../config/schema.ts";
import { readJsonl } from "../datasets/load.ts";
import { fingerprint } from "../env/fingerprint.ts";
import { BenchError } from "../errors/index.ts";
import type { ModelManifest } from "../generated/model.ts";
import type { ResultDocument } from "../generated/result.ts";
import type { SuiteDefinition, Task } from "../generated/suite.ts";
import { benchHome } from "../paths.ts";
import { metrics } from "../pure/metrics/registry.ts";
import { mean, meanStderr } from "../pure/stats.ts";
import { canonicalize, sha256Hex } from "../result/canonical.ts";
import { loadSigningKey } from "../result/keys.ts";
import { signResult, type UnsignedResult } from "../result/sign.ts";
import { tasks as taskTypes } from "../tasks/registry.ts";
import type { PreparedItem, Sample } from "../tasks/types.ts";
import { Journal } from "./journal.ts";
import { performanceFigures } from "./performance.ts";
import { type Progress, silentProgress } from "./progress.ts";

export interface EvalOptions {
  manifest: string;
  suite: string;
  limit?: number;
  threads: number;
  /**
   * Items in flight at once, batched by the backend (default 1). Above 1 it is faster on big
   * machines, but batch composition varies, so log-likelihoods may differ in the last digits.
   */
  parallel?: number;
  gpu: LoadOptions["gpu"];
  /** Folder that receives results/<org>/<model>/<suite>/<run>.json. */
  outDir: string;
  keyFile?: string;
  progress?: Progress;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export interface EvalOutcome {
  documentPath: string;
  samplesPath: string;
  document: ResultDocument;
  resumedItems: number;
}

interface PreparedTask {
  task: Task;
  datasetSha256: string;
  promptSha256: string;
  itemsTotal: number;
  items: PreparedItem[];
}

async function prepareTasks(
  suite: Loaded<SuiteDefinition>,
  limit: number | undefined,
  env: NodeJS.ProcessEnv,
): Promise<PreparedTask[]> {
  const prepared: PreparedTask[] = [];
  for (const [i, task] of suite.data.tasks.entries()) {
    const field = `$.tasks[${i}].dataset`;
    const dataset = await resolveArtifact(task.dataset, { declaredIn: suite.file, field }, { env });
    const records = readJsonl(dataset.path, `${suite.label}: ${field}`);
    const items = taskTypes[task.type as keyof typeof taskTypes].prepare(task, records, {
      file: suite.label,
      path: `$.tasks[${i}]`,
    });
    const { prompt, choices, labels, target, targetDelimiter } = task;
    prepared.push({
      task,
      datasetSha256: dataset.sha256,
      promptSha256: sha256Hex(canonicalize({ prompt, choices, labels, target, targetDelimiter })),
      itemsTotal: items.length,
      items: limit === undefined ? items : items.slice(0, limit),
    });
  }
  return prepared;
}

function scoreTasks(prepared: PreparedTask[], samples: Sample[]): ResultDocument["scores"] {
  const scores: ResultDocument["scores"] = [];
  for (const { task } of prepared) {
    const mine = samples.filter((s) => s.task === task.id);
    for (const id of task.metrics) {
      const values = mine.map((s) => s.scores[id] as number);
      scores.push({
        task: task.id,
        metric: id,
        value: values.length ? mean(values) : 0,
        stderr: meanStderr(values),
        n: values.length,
        errors: mine.filter((s) => s.status === "error").length,
        higherIsBetter: metrics[id as keyof typeof metrics].higherIsBetter,
      });
    }
  }
  return scores;
}

const stamp = (date: Date) =>
  date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");

/** Evaluates one model on one suite, journaling every item, and writes a signed result with its samples. */
export async function runEvaluation(options: EvalOptions): Promise<EvalOutcome> {
  const env = options.env ?? process.env;
  const progress = options.progress ?? silentProgress;
  const startedAt = new Date();
  const wallStart = performance.now();
  const manifest: Loaded<ModelManifest> = loadManifest(options.manifest);
  const suite = loadSuite(options.suite);
  const key = loadSigningKey({ ...(options.keyFile ? { keyFile: options.keyFile } : {}), env });
  const weights = await resolveArtifact(
    manifest.data.weights,
    { declaredIn: manifest.file, field: "$.weights" },
    { env },
  );
  const prepared = await prepareTasks(suite, options.limit, env);
  const contextSize = manifest.data.backend.contextSize ?? 2048;
  const config: ResultDocument["config"] = {
    backend: manifest.data.backend.type,
    threads: options.threads,
    parallel: options.parallel ?? 1,
    contextSize,
    gpu: options.gpu,
    limit: options.limit ?? null,
  };
  const runKey = sha256Hex(
    canonicalize({
      manifest: manifest.sha256,
      weights: weights.sha256,
      suite: suite.sha256,
      tasks: prepared.map((p) => [p.datasetSha256, p.promptSha256, p.items.length]),
      config: { ...config, threads: undefined, parallel: undefined },
    }),
  );
  const journal = new Journal(join(benchHome(env), "journals", `${runKey}.jsonl`));
  const resumedItems = journal.done.size;
  const pending = prepared
    .flatMap((p) => p.items.map((item) => ({ item, task: p.task })))
    .filter(({ item }) => !journal.has(item.task, item.index));
  const total = prepared.reduce((n, p) => n + p.items.length, 0);

  const backend = await backends[manifest.data.backend.type as keyof typeof backends].load();
  for (const { task } of prepared) {
    const needs = taskTypes[task.type as keyof typeof taskTypes].requires.filter(
      (c) => !backend.capabilities.includes(c),
    );
    if (needs.length > 0) {
      throw new BenchError(
        "E_CAPABILITY",
        `${suite.label}: task ${task.id} needs ${needs.join(", ")}, which backend '${backend.id}' lacks`,
        {
          hint: "choose a backend that provides it in the model manifest's backend.type",
        },
      );
    }
  }
  const loadStart = performance.now();
  let model: LoadedModel | undefined;
  let evalSeconds = 0;
  try {
    model = await backend.load(
      {
        weightsPath: weights.path,
        threads: options.threads,
        contextSize,
        gpu: options.gpu,
        parallel: config.parallel,
        ...(manifest.data.backend.addBos === undefined
          ? {}
          : { addBos: manifest.data.backend.addBos }),
      },
      options.signal,
    );
    const loadSeconds = (performance.now() - loadStart) / 1000;
    progress.start(total, `${manifest.data.id} on ${suite.data.id}`);
    let done = resumedItems;
    if (resumedItems > 0) progress.tick(done, `(resumed ${resumedItems})`);
    const evalStart = performance.now();
    const loaded = model;
    const queue = pending.values();
    let failed = false;
    // Workers share one iterator; the first failure stops the others before their next item.
    const worker = async () => {
      for (const { item, task } of queue) {
        if (failed) return;
        options.signal?.throwIfAborted();
        try {
          const sample = await taskTypes[task.type as keyof typeof taskTypes].run(
            item,
            task,
            loaded,
            options.signal,
          );
          journal.append(sample);
        } catch (error) {
          failed = true;
          throw error;
        }
        progress.tick(++done);
      }
    };
    const workers = Array.from(
      { length: Math.min(config.parallel, Math.max(pending.length, 1)) },
      worker,
    );
    const failure = (await Promise.allSettled(workers)).find((r) => r.status === "rejected");
    if (failure) throw (failure as PromiseRejectedResult).reason;
    evalSeconds = (performance.now() - evalStart) / 1000;
    const engine = model.stats();
    const vram = await model.peakVramBytes?.();

    const samples = prepared.flatMap((p) =>
      p.items.map((item) => journal.done.get(Journal.key(item.task, item.index)) as Sample),
    );
    const samplesText =
      samples.map((s) => JSON.stringify(s)).join("\n") + (samples.length ? "\n" : "");
    const finishedAt = new Date();
    const runId = `${stamp(startedAt)}-${randomBytes(3).toString("hex")}`;
    const [org, name] = manifest.data.id.split("/") as [string, string];
    const dir = join(options.outDir, org, name, suite.data.id);
    const documentPath = join(dir, `${runId}.json`);
    const samplesPath = join(dir, `${runId}.samples.jsonl`);
    const figures = performanceFigures({
      wallSeconds: (performance.now() - wallStart) / 1000,
      loadSeconds,
      evalSeconds,
      itemsEvaluated: pending.length,
      engine,
      vram,
      gpu: model.info.gpu,
    });

    const document: UnsignedResult = {
      schemaVersion: 1,
      kind: "bench.result",
      run: {
        id: runId,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        complete:
          options.limit === undefined || prepared.every((p) => p.items.length === p.itemsTotal),
        resumed: resumedItems > 0,
      },
      model: {
        id: manifest.data.id,
        name: manifest.data.name,
        purpose: manifest.data.purpose,
        license: manifest.data.license,
        ...(manifest.data.parameters ? { parameters: manifest.data.parameters } : {}),
        ...(manifest.data.variant ? { variant: { ...manifest.data.variant } } : {}),
        manifestPath: manifest.label,
        manifestSha256: manifest.sha256,
        weightsSha256: weights.sha256,
      },
      suite: {
        id: suite.data.id,
        name: suite.data.name,
        version: suite.data.version,
        suiteSha256: suite.sha256,
        tasks: prepared.map((p) => ({
          id: p.task.id,
          type: p.task.type,
          datasetSha256: p.datasetSha256,
          promptSha256: p.promptSha256,
          itemsTotal: p.itemsTotal,
          itemsEvaluated: p.items.length,
        })),
      },
      config,
      scores: scoreTasks(prepared, samples),
      samples: {
        path: `${runId}.samples.jsonl`,
        sha256: sha256Hex(samplesText),
        count: samples.length,
      },
      performance: figures,
      environment: fingerprint({ id: backend.id, ...model.info.versions }, model.info.gpu),
    };
    const signed = signResult(document, key);
    validateAgainst("result", signed, "the result document (a bug in bench, please report it)");
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${samplesPath}.tmp`, samplesText);
    renameSync(`${samplesPath}.tmp`, samplesPath);
    writeFileSync(`${documentPath}.tmp`, `${JSON.stringify(signed, null, 2)}\n`);
    renameSync(`${documentPath}.tmp`, documentPath);
    journal.remove();
    progress.finish(`wrote ${displayPath(documentPath)}`);
    return { documentPath, samplesPath, document: signed, resumedItems };
  } finally {
    await model?.dispose();
  }
}
