/**
 * Log-likelihood scoring straight through llama.cpp's C API (libllama from node-llama-cpp's own
 * prebuilt CPU binaries, called with koffi), batched as llama.cpp's `llama-perplexity` batches:
 * the shared context and every choice of an item go into one decode, the context tokens tagged
 * with all the choices' sequences over a unified KV cache. node-llama-cpp's binding cannot do that
 * (one sequence per batch entry, a split KV cache, one async call per scored token); see
 * docs/adr/0004-native-scoring.md.
 *
 * The C structs below are transcribed from llama.h of llama.cpp v0.5.0 (the source node-llama-cpp
 * 3.22.1 ships and its binaries were built from); `nativeLayout` pins their sizes and offsets as a
 * C compiler computes them, and the engine refuses any other release.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { IKoffiLib } from "koffi";
import { BenchError } from "../errors/index.ts";
import { type LogitRow, logitRow, logProb } from "../pure/logits.ts";
import { printable } from "../pure/text.ts";
import type { ContinuationScore } from "./types.ts";

const require = createRequire(import.meta.url);
type Koffi = typeof import("koffi");

/** The llama.cpp release (node-llama-cpp's binariesGithubRelease.json) whose llama.h the structs follow. */
export const nativeRelease = "v0.5.0";

/**
 * Sizes and offsets of the C structs on x86-64 Linux, from `sizeof`/`offsetof` compiled against
 * llama.h of v0.5.0 (gcc 12, 2026-11-30). A test checks koffi's layout of the transcription below
 * against them.
 */
export const nativeLayout = {
  llama_model_params: {
    size: 80,
    offsets: { n_gpu_layers: 16, main_gpu: 32, kv_overrides: 64, vocab_only: 72, load_mtp: 77 },
  },
  llama_context_params: {
    size: 160,
    offsets: {
      n_threads_batch: 32,
      flash_attn_type: 52,
      yarn_orig_ctx: 80,
      cb_eval: 88,
      type_v: 108,
      abort_callback_data: 120,
      embeddings: 128,
      kv_unified: 133,
      samplers: 136,
      ctx_other: 152,
    },
  },
  llama_batch: { size: 56, offsets: { token: 8, seq_id: 40, logits: 48 } },
} as const;

let types: ReturnType<typeof defineTypesOnce> | undefined;
/** koffi registers type names globally: define them once. */
function defineTypes(k: Koffi) {
  types ??= defineTypesOnce(k);
  return types;
}

function defineTypesOnce(k: Koffi) {
  const model_params = k.struct("llama_model_params", {
    devices: "void *",
    tensor_buft_overrides: "void *",
    n_gpu_layers: "int32_t",
    split_mode: "int32_t",
    load_mode: "int32_t",
    lazy_mode: "int32_t",
    main_gpu: "int32_t",
    tensor_split: "void *",
    progress_callback: "void *",
    progress_callback_user_data: "void *",
    kv_overrides: "void *",
    vocab_only: "bool",
    check_tensors: "bool",
    use_extra_bufts: "bool",
    no_host: "bool",
    no_alloc: "bool",
    load_mtp: "bool",
  });
  const context_params = k.struct("llama_context_params", {
    n_ctx: "uint32_t",
    n_batch: "uint32_t",
    n_ubatch: "uint32_t",
    n_seq_max: "uint32_t",
    n_rs_seq: "uint32_t",
    n_outputs_max: "uint32_t",
    n_outputs_max_per_seq: "uint32_t",
    n_threads: "int32_t",
    n_threads_batch: "int32_t",
    ctx_type: "int32_t",
    rope_scaling_type: "int32_t",
    pooling_type: "int32_t",
    attention_type: "int32_t",
    flash_attn_type: "int32_t",
    rope_freq_base: "float",
    rope_freq_scale: "float",
    yarn_ext_factor: "float",
    yarn_attn_factor: "float",
    yarn_beta_fast: "float",
    yarn_beta_slow: "float",
    yarn_orig_ctx: "uint32_t",
    defrag_thold: "float",
    cb_eval: "void *",
    cb_eval_user_data: "void *",
    type_k: "int32_t",
    type_v: "int32_t",
    abort_callback: "void *",
    abort_callback_data: "void *",
    embeddings: "bool",
    offload_kqv: "bool",
    no_perf: "bool",
    op_offload: "bool",
    swa_full: "bool",
    kv_unified: "bool",
    samplers: "void *",
    n_samplers: "size_t",
    ctx_other: "void *",
  });
  const batch = k.struct("llama_batch", {
    n_tokens: "int32_t",
    token: "void *",
    embd: "void *",
    pos: "void *",
    n_seq_id: "void *",
    seq_id: "void *",
    logits: "void *",
  });
  return { model_params, context_params, batch };
}

/** koffi's layout of the transcribed structs, for the layout test. */
export function koffiLayout() {
  const k = require("koffi") as Koffi;
  const types = defineTypes(k);
  const of = (type: ReturnType<typeof k.struct>, fields: readonly string[]) => ({
    size: k.sizeof(type),
    offsets: Object.fromEntries(fields.map((f) => [f, k.offsetof(type, f)])),
  });
  const keys = <T extends object>(o: T) => Object.keys(o);
  return {
    llama_model_params: of(types.model_params, keys(nativeLayout.llama_model_params.offsets)),
    llama_context_params: of(types.context_params, keys(nativeLayout.llama_context_params.offsets)),
    llama_batch: of(types.batch, keys(nativeLayout.llama_batch.offsets)),
  };
}

/** node-llama-cpp's prebuilt CPU binaries for this platform, or why they cannot be used here. */
export function nativeBinaries(): { dir: string; release: string } | { unavailable: string } {
  if (process.platform !== "linux" || process.arch !== "x64") {
    return {
      unavailable: `no native scoring on ${process.platform}-${process.arch} (linux-x64 only)`,
    };
  }
  let dir: string;
  try {
    const root = dirname(fileURLToPath(import.meta.resolve("@node-llama-cpp/linux-x64")));
    dir = join(root, "..", "bins", "linux-x64");
  } catch {
    return { unavailable: "@node-llama-cpp/linux-x64 is not installed" };
  }
  const nlc = join(dirname(fileURLToPath(import.meta.resolve("node-llama-cpp"))), "..");
  let release: string;
  try {
    release = JSON.parse(
      readFileSync(join(nlc, "llama/binariesGithubRelease.json"), "utf8"),
    ).release;
  } catch {
    return { unavailable: "node-llama-cpp names no llama.cpp release" };
  }
  if (release !== nativeRelease) {
    return {
      unavailable: `node-llama-cpp ships llama.cpp ${release}; native scoring follows ${nativeRelease}'s llama.h`,
    };
  }
  if (!existsSync(dir)) return { unavailable: `${dir} is missing` };
  return { dir, release };
}

interface Bindings {
  k: Koffi;
  libc: IKoffiLib;
  // biome-ignore lint/suspicious/noExplicitAny: koffi functions are untyped
  f: Record<string, any>;
}

let bindings: Bindings | undefined;

function bind(dir: string): Bindings {
  if (bindings) return bindings;
  const k = require("koffi") as Koffi;
  const types = defineTypes(k);
  const files = readdirSync(dir);
  const named = (re: RegExp) => {
    const file = files.find((f) => re.test(f));
    if (!file) throw new BenchError("E_BACKEND_LOAD", `gguf: ${dir} holds no ${re.source}`);
    return join(dir, file);
  };
  // Dependencies first, so that the dynamic loader finds them by their sonames.
  const ggmlBase = k.load(named(/^libggml-base\.so$/));
  const ggml = k.load(named(/^libggml\.v.*\.so$/));
  const llama = k.load(named(/^libllama\.v.*\.so$/));
  const libc = k.load("libc.so.6");
  const logCallback = k.proto("void ggml_log_callback(int level, const char *text, void *user)");
  const f = {
    malloc: libc.func("void *malloc(size_t)"),
    free: libc.func("void free(void *)"),
    dev_count: ggml.func("size_t ggml_backend_dev_count()"),
    load_all_from_path: ggml.func("void ggml_backend_load_all_from_path(const char *)"),
    log_set: llama.func("void llama_log_set(void *, void *)"),
    logCallback,
    backend_init: llama.func("void llama_backend_init()"),
    model_default_params: llama.func("llama_model_default_params", types.model_params, []),
    context_default_params: llama.func("llama_context_default_params", types.context_params, []),
    model_load: llama.func("llama_model_load_from_file", "void *", [
      "const char *",
      types.model_params,
    ]),
    model_free: llama.func("void llama_model_free(void *)"),
    init_from_model: llama.func("llama_init_from_model", "void *", [
      "void *",
      types.context_params,
    ]),
    free_ctx: llama.func("void llama_free(void *)"),
    get_vocab: llama.func("void *llama_model_get_vocab(void *)"),
    n_ctx_train: llama.func("int32_t llama_model_n_ctx_train(void *)"),
    n_vocab: llama.func("int32_t llama_vocab_n_tokens(void *)"),
    bos: llama.func("int32_t llama_vocab_bos(void *)"),
    eos: llama.func("int32_t llama_vocab_eos(void *)"),
    add_bos: llama.func("bool llama_vocab_get_add_bos(void *)"),
    tokenize: llama.func(
      "int32_t llama_tokenize(void *vocab, const char *text, int32_t len, _Out_ int32_t *tokens, int32_t max, bool add_special, bool parse_special)",
    ),
    get_memory: llama.func("void *llama_get_memory(void *)"),
    seq_rm: llama.func("bool llama_memory_seq_rm(void *, int32_t, int32_t, int32_t)"),
    seq_cp: llama.func("void llama_memory_seq_cp(void *, int32_t, int32_t, int32_t, int32_t)"),
    decode: llama.func("llama_decode", "int32_t", ["void *", types.batch]),
    logits_ith: llama.func("void *llama_get_logits_ith(void *, int32_t)"),
  };
  void ggmlBase;
  bindings = { k, libc, f };
  return bindings;
}

/** Call a koffi function on its worker thread. */
// biome-ignore lint/suspicious/noExplicitAny: koffi functions are untyped
function callAsync<T>(fn: any, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) =>
    fn.async(...args, (error: unknown, value: T) => (error ? reject(error) : resolve(value))),
  );
}

/** llama.cpp's first error line (its log level 4) since the last reset: why a load failed. */
let firstError = "";
// biome-ignore lint/suspicious/noExplicitAny: koffi registered callback
let registeredLog: any;

export interface NativeOptions {
  weightsPath: string;
  threads: number;
  contextSize: number;
  addBos?: boolean;
  /** llama.cpp's flash_attn_type: absent for its default (auto). */
  flashAttention?: boolean;
  /** llama.cpp's n_ubatch, the physical batch; absent for its default. */
  batchSize?: number;
}

/**
 * Context tokens are evaluated on their own in chunks of this many, aligned to absolute positions
 * (both engines): smaller chunks reuse more of a shared prefix, larger ones make fewer calls.
 */
export const contextChunk = 256;
/** Choices scored in one decode at most (sequences of the context). */
const maxSequences = 32;

/**
 * Where an item's separately decoded chunks end: aligned 256-token chunks up to the shared
 * prefix's end and one more ending there, or, without a prefix, every aligned chunk before the
 * last context token (which always goes with the choices).
 */
export function chunkEnds(n: number, prefix: number): number[] {
  const limit =
    prefix > 0 ? Math.min(prefix, n - 1) : Math.floor((n - 1) / contextChunk) * contextChunk;
  const ends: number[] = [];
  for (let end = contextChunk; end <= limit; end += contextChunk) ends.push(end);
  if (limit > 0 && limit % contextChunk !== 0) ends.push(limit);
  return ends;
}

/**
 * A loaded model and context, scoring one item at a time. Not safe for concurrent calls: the
 * caller serialises them.
 */
export class NativeScorer {
  readonly contextSize: number;
  readonly trainContextSize: number;
  readonly addBos: boolean;
  readonly bos: number | null;
  readonly eos: number | null;
  readonly #b: Bindings;
  readonly #model: unknown;
  readonly #ctx: unknown;
  readonly #vocab: unknown;
  readonly #memory: unknown;
  readonly #nVocab: number;
  readonly #capacity: number;
  readonly #buffers: {
    token: Int32Array;
    pos: Int32Array;
    nSeq: Int32Array;
    seqStore: Int32Array;
    logits: Int8Array;
    raw: unknown[];
    batch: Record<string, unknown>;
  };
  /** Tokens held by sequence 0 at positions [0, held.length): whole chunks, each decoded alone. */
  #held: number[] = [];
  #disposed = false;
  tokensEvaluated = 0;

  private constructor(
    b: Bindings,
    model: unknown,
    ctx: unknown,
    options: NativeOptions,
    cells: number,
  ) {
    this.#b = b;
    this.#model = model;
    this.#ctx = ctx;
    const { f, k } = b;
    this.#vocab = f.get_vocab(model);
    this.#memory = f.get_memory(ctx);
    this.#nVocab = f.n_vocab(this.#vocab);
    this.trainContextSize = f.n_ctx_train(model);
    this.contextSize = Math.min(options.contextSize, this.trainContextSize);
    const bos = f.bos(this.#vocab);
    const eos = f.eos(this.#vocab);
    this.bos = bos < 0 ? null : bos;
    this.eos = eos < 0 ? null : eos;
    this.addBos = options.addBos ?? f.add_bos(this.#vocab);
    this.#capacity = cells;
    // The batch's arrays; what was allocated is freed if a later one cannot be.
    const raw: unknown[] = [];
    for (const bytes of [
      4 * cells,
      4 * cells,
      4 * cells,
      8 * cells,
      cells,
      4 * cells * maxSequences,
    ]) {
      const ptr = f.malloc(bytes);
      if (ptr === null) {
        for (const held of raw) f.free(held);
        throw new BenchError("E_BACKEND_LOAD", "gguf: out of memory for the batch");
      }
      raw.push(ptr);
    }
    const [token, pos, nSeq, seqPtrs, logits, seqStore] = raw;
    // Each token's seq_id pointer points into one contiguous store of maxSequences ids per token.
    const pointers = new BigUint64Array(k.view(seqPtrs, 8 * cells));
    const base = k.address(seqStore);
    for (let i = 0; i < cells; i++) pointers[i] = base + BigInt(4 * maxSequences * i);
    this.#buffers = {
      token: new Int32Array(k.view(token, 4 * cells)),
      pos: new Int32Array(k.view(pos, 4 * cells)),
      nSeq: new Int32Array(k.view(nSeq, 4 * cells)),
      seqStore: new Int32Array(k.view(seqStore, 4 * cells * maxSequences)),
      logits: new Int8Array(k.view(logits, cells)),
      raw,
      batch: { n_tokens: 0, token, embd: null, pos, n_seq_id: nSeq, seq_id: seqPtrs, logits },
    };
  }

  static async open(dir: string, options: NativeOptions): Promise<NativeScorer> {
    const b = bind(dir);
    const { f, k } = b;
    if (registeredLog === undefined) {
      // llama.cpp logs through this (levels: 1 debug, 2 info, 3 warn, 4 error, 5 continued):
      // nothing is printed; the last error explains a failed load.
      registeredLog = k.register((level: number, text: string) => {
        if (level === 4 && firstError === "") firstError = text.trim();
      }, k.pointer(f.logCallback));
      f.log_set(registeredLog, null);
      f.backend_init();
      if (Number(f.dev_count()) === 0) f.load_all_from_path(dir);
    }
    const modelParams = f.model_default_params();
    modelParams.n_gpu_layers = 0;
    // node-llama-cpp, when it loads for generation, installs its own logger: take it back.
    f.log_set(registeredLog, null);
    firstError = "";
    // On this thread, so that llama.cpp's log lines arrive before the result.
    const model = f.model_load(options.weightsPath, modelParams);
    if (model === null) {
      throw new BenchError(
        "E_BACKEND_LOAD",
        `gguf: llama.cpp could not load ${options.weightsPath}${firstError ? `: ${printable(firstError, 200)}` : ""}`,
        {
          hint: "check that the file is a GGUF model that this llama.cpp release supports",
        },
      );
    }
    const train = f.n_ctx_train(model);
    const contextSize = Math.min(options.contextSize, train);
    // The shared context once plus every choice's tokens: twice the context holds any item that
    // fits the context (choices are scored in groups when they do not fit together).
    const cells = 2 * contextSize;
    const params = f.context_default_params();
    Object.assign(params, {
      n_ctx: cells,
      n_batch: cells,
      n_seq_max: maxSequences,
      n_threads: options.threads,
      n_threads_batch: options.threads,
      kv_unified: true,
      no_perf: true,
      ...(options.flashAttention === undefined
        ? {}
        : { flash_attn_type: options.flashAttention ? 1 : 0 }),
      ...(options.batchSize === undefined ? {} : { n_ubatch: Math.min(options.batchSize, cells) }),
    });
    const ctx = await callAsync(f.init_from_model, model, params).catch((cause) => {
      f.model_free(model);
      throw cause;
    });
    if (ctx === null) {
      f.model_free(model);
      throw new BenchError(
        "E_BACKEND_LOAD",
        `gguf: llama.cpp could not create a context of ${cells} cells`,
        {
          hint: "lower backend.contextSize in the model manifest",
        },
      );
    }
    try {
      return new NativeScorer(b, model, ctx, options, cells);
    } catch (cause) {
      f.free_ctx(ctx);
      f.model_free(model);
      throw cause;
    }
  }

  tokenize(text: string): number[] {
    const bytes = Buffer.byteLength(text, "utf8");
    let out = new Int32Array(bytes + 8);
    let n = this.#b.f.tokenize(this.#vocab, text, bytes, out, out.length, false, false);
    if (n < 0) {
      out = new Int32Array(-n);
      n = this.#b.f.tokenize(this.#vocab, text, bytes, out, out.length, false, false);
    }
    return Array.from(out.subarray(0, n));
  }

  #rm(seq: number, from: number): void {
    this.#b.f.seq_rm(this.#memory, seq, from, -1);
  }

  async #decode(n: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.#buffers.batch.n_tokens = n;
    const status = await callAsync<number>(this.#b.f.decode, this.#ctx, this.#buffers.batch);
    if (status !== 0) {
      throw new BenchError(
        "E_BACKEND",
        `gguf: llama_decode failed with status ${status} for a batch of ${n} tokens`,
      );
    }
    this.tokensEvaluated += n;
  }

  #put(i: number, token: number, pos: number, seqs: number, output: boolean): void {
    const b = this.#buffers;
    b.token[i] = token;
    b.pos[i] = pos;
    b.nSeq[i] = seqs;
    for (let s = 0; s < seqs; s++) b.seqStore[i * maxSequences + s] = s;
    b.logits[i] = output ? 1 : 0;
  }

  #row(index: number): LogitRow {
    const ptr = this.#b.f.logits_ith(this.#ctx, index);
    if (ptr === null)
      throw new BenchError("E_BACKEND", `gguf: llama.cpp returned no logits for output ${index}`);
    return logitRow(new Float32Array(this.#b.k.view(ptr, 4 * this.#nVocab)));
  }

  /** Ends (exclusive) of the chunks held in sequence 0, each decoded alone. */
  #ends: number[] = [];

  /**
   * Log-likelihood of each choice after the context. The context's start is decoded alone in
   * chunks: up to the end of the shared prefix (`prefix` tokens, when given) in 256-token chunks
   * aligned to absolute positions and a last one ending where the prefix ends, else every aligned
   * chunk before the last context token. Chunks the item has in common with the previous one
   * (same ends, same tokens) are kept in the KV cache. The rest of the context and the choices go
   * into one decode per group of choices. Every KV entry an item reads is thus computed from the
   * same batch as in a fresh run: an item's numbers never depend on the item before it.
   */
  async score(
    context: readonly number[],
    choices: readonly (readonly number[])[],
    signal?: AbortSignal,
    prefix = 0,
  ): Promise<Omit<ContinuationScore, "truncatedTokens">[]> {
    if (this.#disposed) throw new BenchError("E_BACKEND", "gguf: the model was disposed");
    const n = context.length;
    const ends = chunkEnds(n, prefix);
    let keep = 0;
    let same = 0;
    while (keep < ends.length && keep < this.#ends.length && this.#ends[keep] === ends[keep]) {
      const end = ends[keep] as number;
      while (same < end && this.#held[same] === context[same]) same++;
      if (same < end) break;
      keep++;
    }
    const keepEnd = keep === 0 ? 0 : (ends[keep - 1] as number);
    this.#rm(0, keepEnd);
    this.#held = this.#held.slice(0, keepEnd);
    this.#ends = this.#ends.slice(0, keep);
    for (let c = keep; c < ends.length; c++) {
      const start = c === 0 ? 0 : (ends[c - 1] as number);
      const end = ends[c] as number;
      for (let i = start; i < end; i++) this.#put(i - start, context[i] as number, i, 1, false);
      await this.#decode(end - start, signal);
      this.#held.push(...context.slice(start, end));
      this.#ends.push(end);
    }
    const prefixEnd = ends.at(-1) ?? 0;
    const tail = n - prefixEnd;
    const results: Omit<ContinuationScore, "truncatedTokens">[] = [];
    for (let first = 0; first < choices.length; ) {
      // A group: as many choices as fit the batch and the sequences.
      let count = 0;
      let size = tail;
      while (
        first + count < choices.length &&
        count < maxSequences &&
        size + (choices[first + count] as number[]).length - 1 <= this.#capacity - prefixEnd
      ) {
        size += (choices[first + count] as number[]).length - 1;
        count++;
      }
      if (count === 0) {
        throw new BenchError(
          "E_CONTEXT_OVERFLOW",
          `choice ${first} does not fit the context with its item's context`,
          {
            hint: "raise backend.contextSize in the model manifest",
          },
        );
      }
      for (let s = 1; s < count; s++) this.#b.f.seq_cp(this.#memory, 0, s, 0, prefixEnd);
      let at = 0;
      for (let i = 0; i < tail; i++) {
        this.#put(
          at++,
          context[prefixEnd + i] as number,
          prefixEnd + i,
          count,
          prefixEnd + i === n - 1,
        );
      }
      const lastContext = at - 1;
      const starts: number[] = [];
      for (let c = 0; c < count; c++) {
        const tokens = choices[first + c] as number[];
        starts.push(at);
        for (let i = 0; i < tokens.length - 1; i++) {
          const b = this.#buffers;
          b.token[at] = tokens[i] as number;
          b.pos[at] = n + i;
          b.nSeq[at] = 1;
          b.seqStore[at * maxSequences] = c;
          b.logits[at] = 1;
          at++;
        }
      }
      try {
        await this.#decode(at, signal);
        // Output rows are numbered by batch position (llama_get_logits_ith).
        const last = this.#row(lastContext);
        for (let c = 0; c < count; c++) {
          const tokens = choices[first + c] as number[];
          const firstScore = logProb(last, tokens[0] as number);
          const tokenLogprobs = [firstScore.logprob];
          let greedy = firstScore.greedy;
          for (let i = 1; i < tokens.length; i++) {
            const step = logProb(this.#row((starts[c] as number) + i - 1), tokens[i] as number);
            tokenLogprobs.push(step.logprob);
            greedy &&= step.greedy;
          }
          results.push({
            loglikelihood: tokenLogprobs.reduce((a, b) => a + b, 0),
            tokens: tokens.length,
            greedy,
            tokenIds: [...tokens],
            tokenLogprobs,
          });
        }
      } finally {
        for (let s = 0; s < count; s++) this.#rm(s, s === 0 ? prefixEnd : -1);
      }
      first += count;
    }
    return results;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const { f } = this.#b;
    f.free_ctx(this.#ctx);
    f.model_free(this.#model);
    for (const ptr of this.#buffers.raw) f.free(ptr);
  }
}
