import { type ResolvedArtifact, resolveArtifact } from "../artifacts/resolve.ts";
import { backends } from "../backends/registry.ts";

import type { Backend, Capability, GpuChoice, LoadedModel } from "../backends/types.ts";
import { type Loaded, loadManifest } from "../config/load.ts";
import type { ModelManifest } from "../generated/model.ts";
import type { ModelRole, TaskModel } from "../tasks/types.ts";

/** A manifest's files, resolved and verified against their sha256 (a served model has none). */
export interface ModelArtifacts {
  weights?: ResolvedArtifact;
  tokenizer?: ResolvedArtifact;
  weightsData?: (ResolvedArtifact & { fileName: string })[];
  lora?: (ResolvedArtifact & { scale: number })[];
}

/** Resolves (mirror, cache or download) and verifies every file a model manifest declares. */
export async function resolveModelArtifacts(
  manifest: Loaded<ModelManifest>,
  env: NodeJS.ProcessEnv,
): Promise<ModelArtifacts> {
  const source = (field: string) => ({ declaredIn: manifest.file, field, root: manifest.root });
  const weights =
    manifest.data.weights === undefined
      ? undefined
      : await resolveArtifact(manifest.data.weights, source("$.weights"), { env });
  const tokenizer =
    manifest.data.tokenizer === undefined
      ? undefined
      : await resolveArtifact(manifest.data.tokenizer, source("$.tokenizer"), { env });
  const weightsData: NonNullable<ModelArtifacts["weightsData"]> = [];
  for (const [i, ref] of (manifest.data.weightsData ?? []).entries()) {
    const file = await resolveArtifact(ref, source(`$.weightsData[${i}]`), { env });
    weightsData.push({ ...file, fileName: ref.fileName as string });
  }
  const lora: NonNullable<ModelArtifacts["lora"]> = [];
  const backend = manifest.data.backend;
  for (const [i, adapter] of (backend.type === "gguf" ? (backend.lora ?? []) : []).entries()) {
    const { scale, ...ref } = adapter;
    const file = await resolveArtifact(ref, source(`$.backend.lora[${i}]`), { env });
    lora.push({ ...file, scale: scale ?? 1 });
  }
  return {
    ...(weights ? { weights } : {}),
    ...(tokenizer ? { tokenizer } : {}),
    ...(weightsData.length > 0 ? { weightsData } : {}),
    ...(lora.length > 0 ? { lora } : {}),
  };
}

/** What a run decides about every model it loads. */
export interface OpenSettings {
  threads: number;
  gpu: GpuChoice;
  parallel: number;
  needs: readonly Capability[];
  /** Where a backend reads the variables its manifest names (an API key). */
  env: NodeJS.ProcessEnv;
}

/** The manifest's model, loaded by its backend with the run's settings. */
export async function openModel(
  manifest: Loaded<ModelManifest>,
  artifacts: ModelArtifacts,
  settings: OpenSettings,
  signal?: AbortSignal,
): Promise<{ backendId: string; model: LoadedModel }> {
  const declared = manifest.data.backend;
  // The registry pairs each backend id with the backend of that id: its options are this branch.
  const backend = (await backends[declared.type].load()) as Backend;
  const model = await backend.load(
    {
      artifacts: {
        ...(artifacts.weights ? { weights: artifacts.weights.path } : {}),
        ...(artifacts.tokenizer ? { tokenizer: artifacts.tokenizer.path } : {}),
        ...(artifacts.weightsData
          ? {
              weightsData: artifacts.weightsData.map((d) => ({
                fileName: d.fileName,
                path: d.path,
              })),
            }
          : {}),
        ...(artifacts.lora
          ? { lora: artifacts.lora.map((a) => ({ path: a.path, scale: a.scale })) }
          : {}),
      },
      options: declared,
      runtime: {
        threads: settings.threads,
        gpu: settings.gpu,
        parallel: settings.parallel,
        needs: settings.needs,
        env: settings.env,
      },
    },
    signal,
  );
  return { backendId: backend.id, model };
}

/** What identifies a model a task loads (a judge, a baseline, a scorer) in its items' records. */
export function modelIdentity(manifest: Loaded<ModelManifest>, artifacts: ModelArtifacts) {
  return {
    id: manifest.data.id,
    manifestSha256: manifest.sha256,
    ...(artifacts.weights ? { weightsSha256: artifacts.weights.sha256 } : {}),
    ...(artifacts.tokenizer ? { tokenizerSha256: artifacts.tokenizer.sha256 } : {}),
    purpose: manifest.data.purpose,
  };
}

/** What a model in a role is loaded to do. */
export const roleNeeds = (role: ModelRole): Capability =>
  role === "scorer" ? "classify" : "generate";

/** A model a task loads, resolved before the run: its manifest, files and identity. */
export interface PreparedModel {
  role: ModelRole;
  manifest: Loaded<ModelManifest>;
  artifacts: ModelArtifacts;
  identity: ReturnType<typeof modelIdentity>;
  /** The tasks that load it in this role. */
  tasks: string[];
}

/** The key of a model in a role (a manifest may serve as judge and as baseline). */
export const preparedKey = (role: ModelRole, manifestFile: string) => `${role}:${manifestFile}`;

/**
 * Resolves every model the tasks load (judges replaced by `judgeOverride`, --judge's manifest),
 * once per manifest and capability: a missing file or a wrong sha256 fails the run before any
 * item, and the digests go into the run's key and its result.
 */
export async function prepareTaskModels(
  tasks: readonly { id: string; models: readonly TaskModel[] }[],
  judgeOverride: Loaded<ModelManifest> | undefined,
  env: NodeJS.ProcessEnv,
): Promise<Map<string, PreparedModel>> {
  const prepared = new Map<string, PreparedModel>();
  // One manifest read and one hash of its files however many roles it plays (judge and baseline).
  const byFile = new Map<string, Omit<PreparedModel, "role" | "tasks">>();
  for (const task of tasks) {
    for (const { manifest: path, role } of task.models) {
      const override = role === "judge" ? judgeOverride : undefined;
      const file = override?.file ?? path;
      const key = preparedKey(role, file);
      const known = prepared.get(key);
      if (known) {
        if (!known.tasks.includes(task.id)) known.tasks.push(task.id);
        continue;
      }
      let resolved = byFile.get(file);
      if (!resolved) {
        const manifest = override ?? loadManifest(file);
        const artifacts = await resolveModelArtifacts(manifest, env);
        resolved = { manifest, artifacts, identity: modelIdentity(manifest, artifacts) };
        byFile.set(file, resolved);
      }
      prepared.set(key, { role, ...resolved, tasks: [task.id] });
    }
  }
  return prepared;
}
