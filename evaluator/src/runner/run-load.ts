import { randomBytes } from "node:crypto";
import { declaredContextSize, hostingOf } from "../backends/registry.ts";
import type { GpuChoice } from "../backends/types.ts";
import { loadManifest } from "../config/load.ts";
import { validateAgainst } from "../config/schema.ts";
import { evaluatorVersion, fingerprint } from "../env/fingerprint.ts";
import type { ResultDocument } from "../generated/result.ts";
import type { PerfRun } from "../generated/suite.ts";
import { ttftOf } from "../pure/perf.ts";
import { canonicalize, sha256Hex } from "../result/canonical.ts";
import { loadSigningKey } from "../result/keys.ts";
import { signResult } from "../result/sign.ts";
import { modelSection } from "./build-result.ts";
import { type LiveMetrics, startLiveMetrics } from "./live-metrics.ts";
import { openModel, resolveModelArtifacts } from "./open-model.ts";
import { runPerf } from "./perf.ts";
import { type Progress, silentProgress } from "./progress.ts";
import type { SampleRecord } from "./sample.ts";
import { resultDir, samplesText, stamp, writeResult } from "./write.ts";

/** The suite id of a `bench load` result: results/<org>/<model>/load/<run>.json. */
export const loadSuiteId = "load";

export interface LoadCommandOptions {
  manifest: string;
  /** The load test: the same shape as a suite's speed run. */
  run: PerfRun;
  threads: number;
  parallel: number;
  gpu: GpuChoice;
  outDir: string;
  keyFile?: string;
  metrics?: { port: number; host?: string };
  onMetrics?(url: string): void;
  progress?: Progress;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

/**
 * `bench load`: one load test of a model (usually a served one) and a signed result whose
 * `performance.loads` holds its figures and whose samples file holds every request's timing.
 */
export async function runLoadTest(options: LoadCommandOptions) {
  const env = options.env ?? process.env;
  const progress = options.progress ?? silentProgress;
  const startedAt = new Date();
  const wallStart = performance.now();
  const manifest = loadManifest(options.manifest);
  const key = loadSigningKey({ ...(options.keyFile ? { keyFile: options.keyFile } : {}), env });
  const artifacts = await resolveModelArtifacts(manifest, env);
  const runId = `${stamp(startedAt)}-${randomBytes(3).toString("hex")}`;
  let live: LiveMetrics | undefined;
  const loadStart = performance.now();
  const { backendId, model } = await openModel(
    manifest,
    artifacts,
    {
      threads: options.threads,
      gpu: options.gpu,
      parallel: options.parallel,
      needs: ["generate"],
      env,
    },
    options.signal,
  );
  try {
    const loadSeconds = (performance.now() - loadStart) / 1000;
    if (options.metrics) {
      live = await startLiveMetrics(options.metrics.port, options.metrics.host, {
        model: manifest.data.id,
        run: runId,
      });
      options.onMetrics?.(live.url);
    }
    // Every request's timing goes to the samples file, as the items of an evaluation do.
    const samples: SampleRecord[] = [];
    progress.start(1, `${manifest.data.id}: load test ${options.run.profile.type}`);
    const loads = await runPerf(
      model,
      options.run,
      {
        where: "bench load",
        seed: loadSuiteId,
        ...hostingOf(manifest.data.backend),
      },
      {
        ...(options.signal ? { signal: options.signal } : {}),
        onFinished: (timing) => {
          live?.request(timing);
          samples.push({
            task: options.run.id,
            index: samples.length,
            status: timing.ok ? "ok" : "error",
            startMs: timing.startMs,
            ttftMs: ttftOf(timing) ?? null,
            endMs: timing.endMs,
            chunks: timing.chunkAtMs.length,
            promptTokens: timing.promptTokens,
            outputTokens: timing.outputTokens,
            ...(timing.error ? { error: { code: timing.error, message: timing.error } } : {}),
          });
        },
        onInFlight: (n) => live?.inFlight(n),
      },
    );
    progress.tick(1);
    const text = samplesText(samples);
    const config: ResultDocument["config"] = {
      backend: manifest.data.backend.type,
      backendOptions: { ...manifest.data.backend },
      threads: options.threads,
      parallel: options.parallel,
      contextSize: declaredContextSize(manifest.data.backend),
      gpu: options.gpu,
      limit: null,
      load: { ...options.run, profile: { ...options.run.profile } },
    };
    const document = signResult(
      {
        schemaVersion: 1,
        kind: "bench.result",
        run: {
          id: runId,
          startedAt: startedAt.toISOString(),
          finishedAt: new Date().toISOString(),
          complete: loads.every((l) => l.stoppedBy !== "signal"),
          resumed: false,
        },
        model: modelSection(manifest, artifacts.weights?.sha256),
        suite: {
          id: loadSuiteId,
          name: "Load test (bench load)",
          version: evaluatorVersion(),
          suiteSha256: sha256Hex(canonicalize(JSON.parse(JSON.stringify(options.run)))),
          tasks: [],
        },
        config,
        scores: [],
        samples: { path: `${runId}.samples.jsonl`, sha256: text.sha256, count: samples.length },
        performance: {
          measured: { wallSeconds: (performance.now() - wallStart) / 1000, loadSeconds },
          notMeasured: [],
          loads,
        },
        environment: fingerprint({ id: backendId, ...model.info.versions }, model.info.gpu),
      },
      key,
    );
    validateAgainst("result", document, "the result document (a bug in bench, please report it)");
    const written = writeResult(
      resultDir(options.outDir, manifest.data.id, loadSuiteId),
      document,
      text.text,
    );
    progress.finish(`wrote ${written.documentPath}`);
    return { ...written, document };
  } finally {
    await live?.close();
    await model.dispose();
  }
}
