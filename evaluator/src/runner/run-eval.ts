import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { capabilitiesOf, declaredContextSize, hostingOf } from "../backends/registry.ts";
import type { GpuChoice, LoadedModel } from "../backends/types.ts";
import { displayPath, loadManifest } from "../config/load.ts";
import { validateAgainst } from "../config/schema.ts";
import { evaluatorVersion, fingerprint } from "../env/fingerprint.ts";
import { BenchError } from "../errors/index.ts";
import type { ResultDocument } from "../generated/result.ts";
import { benchHome } from "../paths.ts";
import { comparisonsOf } from "../pure/comparisons.ts";
import { groupScores, type TaskGroup } from "../pure/groups.ts";
import type { RequestTiming } from "../pure/perf.ts";
import { score } from "../pure/score.ts";
import { escapeHidden } from "../pure/text.ts";
import { signResult } from "../result/sign.ts";
import type { LoadedJudge, TaskRuntime } from "../tasks/types.ts";
import { buildResult } from "./build-result.ts";
import { execute } from "./execute.ts";
import { Journal } from "./journal.ts";
import { type LiveMetrics, startLiveMetrics } from "./live-metrics.ts";
import { load } from "./load.ts";
import {
  modelIdentity,
  openModel,
  preparedKey,
  prepareTaskModels,
  resolveModelArtifacts,
  roleNeeds,
} from "./open-model.ts";
import { type PerfResult, runPerf } from "./perf.ts";
import { performanceFigures } from "./performance.ts";
import { type Plan, plan, type Shard } from "./plan.ts";
import { type Progress, silentProgress } from "./progress.ts";
import { type SampleRecord, sampleCheck } from "./sample.ts";
import { resultDir, samplesText, stamp, writeResult } from "./write.ts";

export interface EvalOptions {
  manifest: string;
  suite: string;
  limit?: number;
  /** "quick": the suite's seeded quick subset of each task's items; default "full". */
  subset?: "full" | "quick";
  /** Evaluate only this shard of the items (see `plan`). */
  shard?: Shard;
  threads: number;
  /**
   * Items in flight at once, batched by the backend (default 1, which is reproducible bit for
   * bit). Above 1 batch composition varies, so log-likelihoods may differ in the last digits.
   */
  parallel?: number;
  gpu: GpuChoice;
  /** A judge model's manifest for every judge task, in place of the suite's (--judge). */
  judge?: string;
  /** Serve Prometheus metrics while running (`--metrics-port`, `--metrics-host`). */
  metrics?: { port: number; host?: string };
  /** Told where the metrics are served, once they are. */
  onMetrics?(url: string): void;
  /** Folder that receives results/<org>/<model>/<suite>/<run>.json. */
  outDir: string;
  keyFile?: string;
  progress?: Progress;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  onWarning?: (message: string) => void;
}

export interface EvalOutcome {
  documentPath: string;
  samplesPath: string;
  document: ResultDocument;
  resumedItems: number;
}

/** The score stage: each task's rows, after the suite's group rows (a group leads its suite). */
function scoreWithGroups(
  groups: readonly TaskGroup[],
  planned: Plan,
  samples: readonly SampleRecord[],
) {
  const rows = score(
    planned.tasks.map((t) => t.task),
    samples,
  );
  return [...groupScores(groups, rows, samples), ...rows];
}

/** Items per task whose record says their context was cut to fit. */
function countTruncated(samples: readonly SampleRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const sample of samples) {
    const cut = sample.truncatedTokens;
    if (typeof cut === "number" && cut > 0) counts[sample.task] = (counts[sample.task] ?? 0) + 1;
  }
  return counts;
}

/** KV cells one context may hold across its sequences (the manifest schema's largest context). */
const maxKvCells = 1_048_576;

function checkCapabilities(
  planned: Plan,
  backend: { id: string; capabilities: readonly string[] },
) {
  for (const { task } of planned.tasks) {
    const needs = task.requires.filter((c) => !backend.capabilities.includes(c));
    if (needs.length > 0) {
      throw new BenchError(
        "E_CAPABILITY",
        `${task.source.file}: ${task.source.path}: task ${task.id} needs ${needs.join(", ")}, which backend '${backend.id}' lacks`,
        { hint: "choose a backend that provides it in the model manifest's backend.type" },
      );
    }
  }
}

/**
 * The write stage, with a file system failure (a file where a folder belongs, no space, no
 * permission) reported as a problem with the output folder: the items stay journaled.
 */
function writeOrExplain(
  dir: string,
  document: ResultDocument,
  samples: string,
  journal: Journal,
): ReturnType<typeof writeResult> {
  try {
    return writeResult(dir, document, samples);
  } catch (cause) {
    const { code, path } = cause as NodeJS.ErrnoException;
    if (typeof code !== "string") throw cause;
    throw new BenchError(
      "E_USAGE",
      `--out: cannot write the result into ${escapeHidden(displayPath(dir))} (${code}${path ? ` at ${escapeHidden(displayPath(path))}` : ""})`,
      {
        hint: `the evaluated items are journaled in ${displayPath(journal.path)}: make --out a writable folder and run the same command again to resume`,
        cause,
      },
    );
  }
}

/**
 * Evaluates one model on one suite in stages — load, plan, execute (journaled), score, build,
 * sign, write — and returns the signed result with its samples.
 */
export async function runEvaluation(options: EvalOptions): Promise<EvalOutcome> {
  const env = options.env ?? process.env;
  const progress = options.progress ?? silentProgress;
  const startedAt = new Date();
  const wallStart = performance.now();
  const { manifest, suite, key, artifacts, tasks } = await load(options, env);
  const weights = artifacts.weights;
  const contextSize = declaredContextSize(manifest.data.backend);
  const parallel = options.parallel ?? 1;
  if (parallel * contextSize > maxKvCells) {
    throw new BenchError(
      "E_USAGE",
      `--parallel: ${parallel} sequences of ${contextSize} tokens (${manifest.label}: $.backend.contextSize) need ${parallel * contextSize} KV cells (expected at most ${maxKvCells})`,
      { hint: `lower --parallel to at most ${Math.max(1, Math.floor(maxKvCells / contextSize))}` },
    );
  }
  // --judge: a manifest checked now, before anything runs; every judge task is judged by it.
  let judgeOverride: ReturnType<typeof loadManifest> | undefined;
  if (options.judge !== undefined) {
    const judged = suite.data.tasks.some((task) => task.models.some((m) => m.role === "judge"));
    if (!judged) {
      throw new BenchError("E_USAGE", `--judge: ${suite.label} has no judge task`, {
        hint: "leave --judge out, or evaluate a suite with judge tasks (e.g. creative-writing)",
      });
    }
    judgeOverride = loadManifest(options.judge);
  }
  // Judges, baselines and scorers: resolved now, so that a missing file fails before any item
  // and their digests enter the run's key (config.models) and its result.
  const prepared = await prepareTaskModels(suite.data.tasks, judgeOverride, env);
  let subset: { items: number; seed: number } | undefined;
  if (options.subset === "quick") {
    subset = suite.data.quick;
    if (!subset) {
      throw new BenchError(
        "E_USAGE",
        `--subset: ${suite.label} declares no quick subset ($.quick)`,
        { hint: "add quick: {items: 100, seed: 1234} to the suite, or run the full suite" },
      );
    }
  }
  const config: ResultDocument["config"] = {
    backend: manifest.data.backend.type,
    backendOptions: { ...manifest.data.backend },
    threads: options.threads,
    parallel,
    contextSize,
    gpu: options.gpu,
    limit: options.limit ?? null,
    ...(subset ? { subset: { name: "quick" as const, ...subset } } : {}),
    ...(judgeOverride
      ? {
          judge: {
            manifestPath: judgeOverride.label,
            manifestSha256: judgeOverride.sha256,
          },
        }
      : {}),
    ...(options.shard ? { shard: { ...options.shard } } : {}),
    ...(prepared.size > 0
      ? {
          models: [...prepared.values()].map((m) => ({
            role: m.role,
            manifestPath: m.manifest.label,
            ...m.identity,
            tasks: m.tasks as [string, ...string[]],
          })),
        }
      : {}),
  };
  const planned = plan({
    manifestSha256: manifest.sha256,
    ...(weights ? { weightsSha256: weights.sha256 } : {}),
    suiteSha256: suite.sha256,
    evaluatorVersion: evaluatorVersion(),
    tasks,
    config,
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    ...(options.shard === undefined ? {} : { shard: options.shard }),
    ...(subset === undefined ? {} : { subset }),
  });
  checkCapabilities(planned, {
    id: manifest.data.backend.type,
    capabilities: capabilitiesOf(manifest.data.backend),
  });
  // The journal is checked (and locked) before the backend's native code loads: a corrupt or
  // locked journal fails in a fraction of a second.
  const journal = Journal.open(join(benchHome(env), "journals", `${planned.runKey}.jsonl`), {
    runKey: planned.runKey,
    check: sampleCheck(planned.tasks),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  const resumedItems = journal.done.size;
  let model: LoadedModel | undefined;
  // Models that tasks load themselves (judges, baselines, scorers), once each, with this run's
  // settings; all of them are resolved before the first item (prepareTaskModels) and opened
  // ahead of it, so that a model that cannot load fails the run, not each item.
  const opened = new Map<string, Promise<LoadedJudge>>();
  const runtime: TaskRuntime = {
    loadModel(requested, role) {
      const file = role === "judge" && judgeOverride ? judgeOverride.file : requested;
      const entry = prepared.get(preparedKey(role, file));
      // One load per manifest and capability: a judge that is also the baseline loads once.
      const key = `${roleNeeds(role)}:${file}`;
      let loaded = opened.get(key);
      if (loaded === undefined) {
        loaded = (async () => {
          const other = entry?.manifest ?? loadManifest(file);
          const files = entry?.artifacts ?? (await resolveModelArtifacts(other, env));
          const { model: handle } = await openModel(other, files, {
            threads: options.threads,
            gpu: options.gpu,
            parallel: 1,
            needs: [roleNeeds(role)],
            env,
          });
          return { model: handle, identity: entry?.identity ?? modelIdentity(other, files) };
        })();
        opened.set(key, loaded);
      }
      return loaded;
    },
  };
  let backendId: string = manifest.data.backend.type;
  let live: LiveMetrics | undefined;
  try {
    if (options.metrics) {
      live = await startLiveMetrics(options.metrics.port, options.metrics.host, {
        model: manifest.data.id,
        run: suite.data.id,
      });
      options.onMetrics?.(live.url);
    }
    const loadStart = performance.now();
    const opened = await openModel(
      manifest,
      artifacts,
      {
        threads: options.threads,
        gpu: options.gpu,
        parallel,
        needs: [
          ...new Set([
            ...planned.tasks.flatMap(({ task }) => task.requires),
            ...(suite.data.perf ? (["generate"] as const) : []),
          ]),
        ],
        env,
      },
      options.signal,
    );
    model = opened.model;
    backendId = opened.backendId;
    for (const entry of prepared.values()) await runtime.loadModel(entry.manifest.file, entry.role);
    const loadSeconds = (performance.now() - loadStart) / 1000;
    let executed: Awaited<ReturnType<typeof execute>>;
    try {
      executed = await execute({
        plan: planned,
        label: `${manifest.data.id} on ${suite.data.id}`,
        model,
        journal,
        parallel: Math.max(parallel, model.info.inFlight ?? parallel),
        progress,
        runtime,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(live
          ? {
              onItem: (status: "ok" | "error", seconds: number, done: number, total: number) => {
                live?.item(status, seconds);
                live?.progress(done, total);
              },
            }
          : {}),
      });
    } catch (error) {
      if (!options.signal?.aborted) throw error;
      const reason = options.signal.reason;
      throw new BenchError(
        "E_INTERRUPTED",
        `${reason instanceof Error ? reason.message : "interrupted"}: ${journal.done.size} of ${planned.total} items are journaled in ${displayPath(journal.path)}`,
        { hint: "run the same command again to resume where it stopped", cause: error },
      );
    }
    // Speed runs after the items: their figures never mix with scoring work.
    const loads: PerfResult[] = [];
    for (const [i, run] of (suite.data.perf ?? []).entries()) {
      const started = performance.now();
      progress.start(1, `${manifest.data.id} on ${suite.data.id}: speed run ${run.id}`);
      // --limit caps a speed run's requests as it caps a task's items.
      const limited =
        options.limit === undefined
          ? run
          : {
              ...run,
              stop: {
                ...run.stop,
                requests: Math.min(run.stop.requests ?? options.limit, options.limit),
              },
            };
      loads.push(
        ...(await runPerf(
          model,
          limited,
          {
            where: `${suite.label}: $.perf[${i}]`,
            seed: suite.data.id,
            ...hostingOf(manifest.data.backend),
          },
          {
            ...(options.signal ? { signal: options.signal } : {}),
            ...(live
              ? {
                  onFinished: (timing: RequestTiming) => live?.request(timing),
                  onInFlight: (n: number) => live?.inFlight(n),
                }
              : {}),
          },
        )),
      );
      progress.tick(1, `${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    if (options.signal?.aborted) {
      // A speed run cut short by Ctrl-C is not a result; the items stay journaled.
      const reason = options.signal.reason;
      throw new BenchError(
        "E_INTERRUPTED",
        `${reason instanceof Error ? reason.message : "interrupted"} during the speed runs: ${journal.done.size} of ${planned.total} items are journaled in ${displayPath(journal.path)}`,
        { hint: "run the same command again: the items resume, the speed runs start over" },
      );
    }
    const engine = model.stats();
    const vram = await model.peakVramBytes?.();

    const samples = samplesText(executed.samples);
    const runId = `${stamp(startedAt)}-${randomBytes(3).toString("hex")}`;
    const document = signResult(
      buildResult({
        runId,
        startedAt,
        finishedAt: new Date(),
        resumed: resumedItems > 0,
        manifest,
        ...(weights ? { weightsSha256: weights.sha256 } : {}),
        suite,
        plan: planned,
        config,
        scores: scoreWithGroups(suite.data.groups ?? [], planned, executed.samples),
        comparisons: comparisonsOf(executed.samples),
        truncated: countTruncated(executed.samples),
        samples: {
          path: `${runId}.samples.jsonl`,
          sha256: samples.sha256,
          count: executed.samples.length,
        },
        performance: performanceFigures({
          wallSeconds: (performance.now() - wallStart) / 1000,
          loadSeconds,
          evalSeconds: executed.evalSeconds,
          itemsEvaluated: executed.evaluated,
          itemsPlanned: planned.total,
          engine,
          vram,
          gpu: model.info.gpu,
          loads,
          ...hostingOf(manifest.data.backend),
        }),
        environment: fingerprint({ id: backendId, ...model.info.versions }, model.info.gpu),
      }),
      key,
    );
    validateAgainst("result", document, "the result document (a bug in bench, please report it)");
    const written = writeOrExplain(
      resultDir(options.outDir, manifest.data.id, suite.data.id),
      document,
      samples.text,
      journal,
    );
    journal.remove();
    progress.finish(`wrote ${displayPath(written.documentPath)}`);
    return { ...written, document, resumedItems };
  } finally {
    await live?.close();
    journal.close();
    // Every model is released, whichever of them fails to.
    await Promise.allSettled([
      model?.dispose(),
      ...[...opened.values()].map(async (loading) => (await loading).model.dispose()),
    ]);
  }
}
