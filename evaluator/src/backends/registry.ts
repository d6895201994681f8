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
    capabilities: ["classify"],
    load: async () => (await import("./onnx.ts")).onnxBackend,
  },
} as const satisfies Record<string, BackendEntry>;

export type BackendId = keyof typeof backends;
export const backendIds = Object.keys(backends) as BackendId[];

export function isBackendId(id: string): id is BackendId {
  return Object.hasOwn(backends, id);
}
