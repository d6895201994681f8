import { type ResolvedArtifact, resolveArtifact } from "../artifacts/resolve.ts";
import { backends } from "../backends/registry.ts";
import type { Capability, LoadedModel, LoadOptions } from "../backends/types.ts";
import type { Loaded } from "../config/load.ts";
import type { ModelManifest } from "../generated/model.ts";

/** A manifest's files, resolved and verified against their sha256. */
export interface ModelArtifacts {
  weights: ResolvedArtifact;
  tokenizer?: ResolvedArtifact;
}

/** Resolves (mirror, cache or download) and verifies every file a model manifest declares. */
export async function resolveModelArtifacts(
  manifest: Loaded<ModelManifest>,
  env: NodeJS.ProcessEnv,
): Promise<ModelArtifacts> {
  const source = (field: string) => ({ declaredIn: manifest.file, field, root: manifest.root });
  const weights = await resolveArtifact(manifest.data.weights, source("$.weights"), { env });
  const tokenizer =
    manifest.data.tokenizer === undefined
      ? undefined
      : await resolveArtifact(manifest.data.tokenizer, source("$.tokenizer"), { env });
  return { weights, ...(tokenizer ? { tokenizer } : {}) };
}

/** Tokens one request can hold, as the manifest says or by the backend's default. */
export function declaredContextSize(backend: ModelManifest["backend"]): number {
  return backend.contextSize ?? (backend.type === "onnx" ? 512 : 2048);
}

/** What a run decides about every model it loads. */
export interface OpenSettings {
  threads: number;
  gpu: LoadOptions["gpu"];
  parallel: number;
  needs: readonly Capability[];
}

/** The manifest's model, loaded by its backend with the run's settings. */
export async function openModel(
  manifest: Loaded<ModelManifest>,
  artifacts: ModelArtifacts,
  settings: OpenSettings,
  signal?: AbortSignal,
): Promise<{ backendId: string; model: LoadedModel }> {
  const declared = manifest.data.backend;
  const backend = await backends[declared.type].load();
  const model = await backend.load(
    {
      weightsPath: artifacts.weights.path,
      ...(artifacts.tokenizer ? { tokenizerPath: artifacts.tokenizer.path } : {}),
      settings: declared,
      threads: settings.threads,
      contextSize: declaredContextSize(declared),
      gpu: settings.gpu,
      parallel: settings.parallel,
      needs: settings.needs,
      ...(declared.type === "gguf" && declared.addBos !== undefined
        ? { addBos: declared.addBos }
        : {}),
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
    weightsSha256: artifacts.weights.sha256,
    ...(artifacts.tokenizer ? { tokenizerSha256: artifacts.tokenizer.sha256 } : {}),
    purpose: manifest.data.purpose,
  };
}
