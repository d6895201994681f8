import type { Backend as ManifestBackend } from "../generated/model.ts";
import type { Pricing } from "../pure/cost.ts";
import type { Backend, Capability } from "./types.ts";

interface BackendEntry {
  capabilities: readonly Capability[];
  /** Native backends load lazily so nothing heavy loads unless used. */
  load: () => Promise<Backend>;
}

export const backends = {
  gguf: {
    capabilities: ["loglikelihood", "generate"],
    load: async () => (await import("./gguf.ts")).ggufBackend,
  },
  onnx: {
    // A classifier classifies; a causal LM scores and generates (capabilitiesOf tells which).
    capabilities: ["classify", "loglikelihood", "generate"],
    load: async () => (await import("./onnx.ts")).onnxBackend,
  },
  openai: {
    // Log-likelihoods only from servers that echo prompt logprobs: checked when the model loads.
    capabilities: ["loglikelihood", "generate"],
    load: async () => (await import("./openai.ts")).openaiBackend,
  },
} as const satisfies Record<string, BackendEntry>;

export type BackendId = keyof typeof backends;

/** What the model a manifest's backend block describes can do, before anything loads. */
export function capabilitiesOf(backend: ManifestBackend): readonly Capability[] {
  if (backend.type === "onnx") {
    return backend.task === "causal-lm" ? ["loglikelihood", "generate"] : ["classify"];
  }
  return backends[backend.type].capabilities;
}

/** Tokens one request holds when the manifest's backend.contextSize says nothing. */
export const defaultContextSize: Record<BackendId, number> = {
  gguf: 2048,
  // BERT's and RoBERTa's position limit: most sequence classifiers.
  onnx: 512,
  openai: 2048,
};

/** The manifest's context size, or its backend's default. */
export function declaredContextSize(backend: { type: BackendId; contextSize?: number }): number {
  return backend.contextSize ?? defaultContextSize[backend.type];
}
export const backendIds = Object.keys(backends) as BackendId[];

export function isBackendId(id: string): id is BackendId {
  return Object.hasOwn(backends, id);
}

/**
 * Whether a manifest's model is served (reached over HTTP, its process out of sight) rather than
 * run in this process, and a hosted API's prices where the manifest gives them.
 */
export function hostingOf(backend: ManifestBackend): { served: boolean; pricing?: Pricing } {
  if (backend.type !== "openai") return { served: false };
  return backend.pricing ? { served: true, pricing: backend.pricing } : { served: true };
}
