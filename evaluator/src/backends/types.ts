import type { Backend as ManifestBackend } from "../generated/model.ts";

/**
 * The backend contract, version 2 (ADR 0007). A backend's registry entry declares what it can do,
 * checked before anything loads; a backend loads a model from the manifest's files and its own
 * options; a task asks the model for a capability.
 */
export type Capability = "loglikelihood" | "generate" | "classify";

/** false: CPU only; "auto": the best GPU the prebuilt binaries support; or a named one. */
export type GpuChoice = false | "auto" | "cuda" | "vulkan" | "metal";

/** What the run decides for every model it loads, whatever its backend. */
export interface RuntimeSettings {
  threads: number;
  gpu: GpuChoice;
  /** Requests the backend may serve at once (sequences batched into one forward pass). */
  parallel?: number;
  /**
   * What the caller will ask of the model, when it knows: a backend may then skip loading what
   * serves the rest (the gguf backend loads its scoring engine only for log-likelihoods).
   * Default: everything the backend offers.
   */
  needs?: readonly Capability[];
  /** Where a backend reads what the manifest names by variable (an API key); default none. */
  env?: NodeJS.ProcessEnv;
}

/** What a backend loads a model from. */
export interface LoadRequest<Options extends ManifestBackend = ManifestBackend> {
  /** Verified local paths of the manifest's files; a served model (HTTP) has none. */
  artifacts: {
    weights?: string;
    tokenizer?: string;
    /** External data files the weights name, by the name they use. */
    weightsData?: { fileName: string; path: string }[];
    /** LoRA adapters to apply, with their scales (gguf). */
    lora?: { path: string; scale: number }[];
  };
  /** The manifest's backend block: this backend's branch of the union, schema-checked. */
  options: Options;
  runtime: RuntimeSettings;
}

/** Choices that share one context: the backend may evaluate the context once. */
export interface LoglikelihoodRequest {
  context: string;
  continuations: readonly string[];
  /**
   * What to do when context and the longest continuation do not fit: "left" drops context tokens
   * from the left (after BOS), as lm-evaluation-harness does; default: fail with E_CONTEXT_OVERFLOW.
   */
  truncate?: "left";
  /**
   * The start of `context` that other requests share (a few-shot preamble). A backend may
   * evaluate it apart and keep it for them; an item's scores may then depend on where it ends,
   * never on the items before it.
   */
  sharedPrefix?: string;
}

export interface ContinuationScore {
  /** Sum of natural-log probabilities of the continuation's tokens. */
  loglikelihood: number;
  /** Number of continuation tokens scored. */
  tokens: number;
  /** Whether every continuation token was the argmax (lm-evaluation-harness's is_greedy). */
  greedy: boolean;
  /** The continuation's token ids, in order. */
  tokenIds: number[];
  /** Natural-log probability of each continuation token; they sum to `loglikelihood`. */
  tokenLogprobs: number[];
  /** Context tokens dropped from the left to fit the context window (0 when none). */
  truncatedTokens: number;
}

export interface GenerateRequest {
  prompt: string;
  maxTokens: number;
  /** Text that ends generation when it appears; the response leaves it (and anything after) out. */
  stop?: readonly string[];
  /**
   * Wrap the prompt as one user message in the model's own chat template (with the generation
   * prompt). A model without one fails the request with E_CAPABILITY.
   */
  chatTemplate?: boolean;
  /**
   * A prompt that leaves fewer than maxTokens free: "left" drops its first tokens (after BOS), as
   * lm-evaluation-harness's generate_until does; default: fail with E_CONTEXT_OVERFLOW.
   */
  truncate?: "left";
  /** Sampling temperature; absent or 0: greedy. */
  temperature?: number;
  /** Seed of the sampler when temperature is above 0. */
  seed?: number;
  /** Nucleus sampling's p when temperature is above 0; absent or 1: off. */
  topP?: number;
  /**
   * Keep generating past the end-of-sequence token up to maxTokens (speed runs), where the backend
   * can: servers that accept `ignore_eos` (vLLM, llama-server, SGLang). node-llama-cpp cannot; its
   * runs report the tokens actually generated.
   */
  ignoreEos?: boolean;
  /**
   * Count a failure instead of retrying it (speed runs: vLLM's bench serve does not retry, and a
   * retried 503 would hide overload).
   */
  noRetry?: boolean;
}

/**
 * One part of a streamed generation. `atMs` is `performance.now()` when the backend received it
 * (for a server: when the chunk was parsed); the runner computes TTFT and inter-token latency
 * from these times, never the backend.
 */
export type StreamPart =
  | { type: "delta"; text: string; tokens: number; atMs: number }
  | {
      type: "finish";
      finishReason: GenerateResult["finishReason"];
      /** Prompt tokens as the engine or server counted them; null where it does not say. */
      promptTokens: number | null;
      /**
       * The server did not count this request's output tokens: `completionTokens` is the number of
       * text events, an estimate (a hosted API bills its own count).
       */
      outputEstimated?: true;
      completionTokens: number;
      truncatedTokens: number;
      atMs: number;
    };

/** Texts a sequence classifier scores in one batch. */
export interface ClassifyRequest {
  texts: readonly string[];
}

export interface ClassifyResult {
  /** The probability of each label, by label (softmax or sigmoid, as the manifest says). */
  probabilities: Record<string, number>;
  /** Tokens the classifier read, special tokens included. */
  tokens: number;
  /** Tokens cut from the right to fit the classifier's contextSize (0 when none). */
  truncatedTokens: number;
}

export interface GenerateResult {
  text: string;
  tokens: number;
  timeToFirstTokenMs: number | null;
  totalMs: number;
  finishReason: "stop" | "length" | "eos";
  /** Prompt tokens dropped from the left to fit the context window (0 when none). */
  truncatedTokens: number;
}

export interface EngineStats {
  /** Seconds spent inside the engine's evaluate calls. */
  engineSeconds: number;
  /** Tokens the engine evaluated (prompt and generated). */
  tokensEvaluated: number;
  /** A served model: the tokens its server counted (usage), which is what a hosted API bills. */
  usage?: ServerUsage;
}

export interface ServerUsage {
  promptTokens: number;
  outputTokens: number;
  /** Requests whose answer gave both counts. */
  requests: number;
  /** Requests answered without both counts: their tokens are in no figure above. */
  unreported: number;
}

export interface BackendInfo {
  /** Package and engine versions, e.g. node-llama-cpp and llama.cpp release. */
  versions: Record<string, string>;
  gpu: { used: boolean; devices?: string[]; reason?: string };
  /** Tokens one request can hold. */
  contextSize: number;
  threads: number;
  /** Requests served at once (batched into one forward pass). */
  parallel: number;
  /**
   * Requests the runner keeps in flight, when more than `parallel`: the backend queues them, and
   * prepares (tokenises) the next while the engine runs the current one. Default: `parallel`.
   */
  inFlight?: number;
}

export interface LoadedModel {
  readonly info: BackendInfo;
  loglikelihood?(request: LoglikelihoodRequest, signal?: AbortSignal): Promise<ContinuationScore[]>;
  generate?(request: GenerateRequest, signal?: AbortSignal): Promise<GenerateResult>;
  /** The same generation as parts while it happens; it ends with one `finish` part. */
  stream?(request: GenerateRequest, signal?: AbortSignal): AsyncIterable<StreamPart>;
  /**
   * The same parts pushed to `onPart` as they happen, resolving after the finish part: for callers
   * that time every event of thousands of streams (the load generator), where a promise per part
   * costs more than the part. Optional; `pushParts` falls back to `stream`.
   */
  streamTo?(
    request: GenerateRequest,
    onPart: (part: StreamPart) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Tokens the model reads for `text` as a prompt (its own tokenizer, BOS included). */
  countTokens?(text: string): number;
  /** One result per text, in order. */
  classify?(request: ClassifyRequest, signal?: AbortSignal): Promise<ClassifyResult[]>;
  stats(): EngineStats;
  /** Peak accelerator memory in bytes, when the engine can tell. */
  peakVramBytes?(): Promise<number | undefined>;
  dispose(): Promise<void>;
}

export interface Backend<Options extends ManifestBackend = ManifestBackend> {
  readonly id: Options["type"];
  readonly contractVersion: 2;
  load(request: LoadRequest<Options>, signal?: AbortSignal): Promise<LoadedModel>;
}
