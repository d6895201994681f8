import type { Loaded, ResolvedSuite } from "../config/load.ts";
import type { ModelManifest } from "../generated/model.ts";
import type { ResultDocument } from "../generated/result.ts";
import type { ScoreRow } from "../pure/score.ts";
import type { UnsignedResult } from "../result/sign.ts";
import type { Plan } from "./plan.ts";

export interface ResultInput {
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  resumed: boolean;
  manifest: Loaded<ModelManifest>;
  /** Absent for a served model. */
  weightsSha256?: string;
  suite: Loaded<ResolvedSuite>;
  plan: Plan;
  config: ResultDocument["config"];
  scores: readonly ScoreRow[];
  /** Pairwise judge tasks' verdict counts against their baselines (none: left out). */
  comparisons?: NonNullable<ResultDocument["comparisons"]>;
  /** Items per task whose context was cut from the left to fit the window. */
  truncated: Readonly<Record<string, number>>;
  samples: { path: string; sha256: string; count: number };
  performance: ResultDocument["performance"];
  environment: ResultDocument["environment"];
}

/** The build stage (pure): the unsigned result document of a run. */
export function buildResult(input: ResultInput): UnsignedResult {
  const { manifest, suite, plan } = input;
  return {
    schemaVersion: 1,
    kind: "bench.result",
    run: {
      id: input.runId,
      startedAt: input.startedAt.toISOString(),
      finishedAt: input.finishedAt.toISOString(),
      complete: plan.complete,
      resumed: input.resumed,
    },
    model: modelSection(manifest, input.weightsSha256),
    suite: {
      id: suite.data.id,
      name: suite.data.name,
      version: suite.data.version,
      suiteSha256: suite.sha256,
      tasks: plan.tasks.map((p) => ({
        id: p.task.id,
        type: p.task.type,
        datasetSha256: p.datasetSha256,
        promptSha256: p.task.promptSha256,
        itemsTotal: p.itemsTotal,
        itemsEvaluated: p.items.length,
        ...(input.truncated[p.task.id] ? { itemsTruncated: input.truncated[p.task.id] } : {}),
      })),
    },
    config: input.config,
    scores: input.scores.map((row) => ({ ...row })),
    ...(input.comparisons?.length ? { comparisons: input.comparisons } : {}),
    samples: input.samples,
    performance: input.performance,
    environment: input.environment,
  };
}

/** The result's `model`: the manifest's identity, its digests, and a served model's endpoint. */
export function modelSection(
  manifest: Loaded<ModelManifest>,
  weightsSha256: string | undefined,
): ResultDocument["model"] {
  return {
    id: manifest.data.id,
    name: manifest.data.name,
    purpose: manifest.data.purpose,
    license: manifest.data.license,
    ...(manifest.data.parameters ? { parameters: manifest.data.parameters } : {}),
    ...(manifest.data.variant ? { variant: { ...manifest.data.variant } } : {}),
    manifestPath: manifest.label,
    manifestSha256: manifest.sha256,
    ...(weightsSha256 ? { weightsSha256 } : {}),
    ...(manifest.data.backend.type === "openai"
      ? {
          served: {
            baseUrl: manifest.data.backend.baseUrl,
            model: manifest.data.backend.model,
          },
        }
      : {}),
  };
}
