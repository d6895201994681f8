import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type {
  JinjaTemplateChatWrapper,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaModel,
  Token,
} from "node-llama-cpp";
import { BenchError } from "../errors/index.ts";
import type { GgufBackend } from "../generated/model.ts";
import { contextChunk, NativeScorer, nativeBinaries } from "./llama-native.ts";
import { declaredContextSize } from "./registry.ts";
import { fitPrompt, Serial, streamFrom } from "./stream.ts";
import type {
  Backend,
  Capability,
  ContinuationScore,
  EngineStats,
  GenerateRequest,
  GenerateResult,
  GpuChoice,
  LoadedModel,
  LoadRequest,
  LoglikelihoodRequest,
  StreamPart,
} from "./types.ts";

function packageVersions(): Record<string, string> {
  // The package exports no package.json; its entry point sits in dist/.
  const root = join(dirname(fileURLToPath(import.meta.resolve("node-llama-cpp"))), "..");
  const read = (path: string) => JSON.parse(readFileSync(join(root, path), "utf8"));
  return {
    "node-llama-cpp": read("package.json").version,
    "llama.cpp": read("llama/binariesGithubRelease.json").release,
  };
}

/** node-llama-cpp loads only when used: native scoring on the CPU does not need it. */
const nlc = () => import("node-llama-cpp");

/** A model loaded through node-llama-cpp's binding: generation, and scoring on a GPU. */
interface NlcEngine {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  free: LlamaContextSequence[];
  waiting: ((sequence: LlamaContextSequence) => void)[];
}

interface Tokenizer {
  tokenize(text: string): Token[];
  bos: Token | null;
  eos: Token | null;
}

type NextOutput = { logits?: Map<Token, number>; totalLogitWeight?: number };

/** ln p(token) = logit - max - ln(sum exp(logit - max)), from a filtered logits map that holds the top logit. */
function logProb(next: NextOutput | undefined, token: Token): { logprob: number; greedy: boolean } {
  const logit = next?.logits?.get(token);
  if (next?.logits === undefined || logit === undefined || next.totalLogitWeight === undefined) {
    throw new BenchError("E_BACKEND", `gguf: the engine returned no logit for token ${token}`);
  }
  let max = Number.NEGATIVE_INFINITY;
  for (const value of next.logits.values()) if (value > max) max = value;
  return { logprob: logit - max - Math.log(next.totalLogitWeight), greedy: logit >= max };
}

const scoring = (targets: readonly Token[]) =>
  ({
    generateNext: {
      // includeMax does not add the max logit in node-llama-cpp 3.22.1; includeTop: 1 does.
      logits: { filter: { tokens: targets, includeTop: 1 } },
      totalLogitWeight: true,
    },
  }) as const;

class GgufModel implements LoadedModel {
  readonly info: LoadedModel["info"];
  /** node-llama-cpp's engine: loaded up front without native scoring, else on first generation. */
  #nlc: Promise<NlcEngine> | undefined;
  readonly #loadNlc: () => Promise<NlcEngine>;
  readonly #native: NativeScorer | undefined;
  /** Native scoring takes one item at a time. */
  readonly #nativeSerial = new Serial();
  readonly #tokenizer: Tokenizer;
  readonly #addBos: boolean;
  #stats: EngineStats = { engineSeconds: 0, tokensEvaluated: 0 };

  constructor(options: {
    info: LoadedModel["info"];
    addBos: boolean;
    tokenizer: Tokenizer;
    loadNlc: () => Promise<NlcEngine>;
    nlc?: NlcEngine;
    native?: NativeScorer;
  }) {
    this.info = options.info;
    this.#addBos = options.addBos;
    this.#tokenizer = options.tokenizer;
    this.#loadNlc = options.loadNlc;
    if (options.nlc) this.#nlc = Promise.resolve(options.nlc);
    this.#native = options.native;
  }

  #engine(): Promise<NlcEngine> {
    this.#nlc ??= this.#loadNlc();
    return this.#nlc;
  }

  /** Requests on different sequences run concurrently; node-llama-cpp batches them into one decode. */
  async #withSequence<T>(
    work: (sequence: LlamaContextSequence, engine: NlcEngine) => Promise<T>,
  ): Promise<T> {
    const engine = await this.#engine();
    const sequence =
      engine.free.pop() ?? (await new Promise<LlamaContextSequence>((r) => engine.waiting.push(r)));
    try {
      return await work(sequence, engine);
    } finally {
      const next = engine.waiting.shift();
      if (next) next(sequence);
      else engine.free.push(sequence);
    }
  }

  stats(): EngineStats {
    return {
      ...this.#stats,
      tokensEvaluated: this.#stats.tokensEvaluated + (this.#native?.tokensEvaluated ?? 0),
    };
  }

  #active = 0;
  #busySince = 0;

  /** Engine time is wall time with at least one engine call running, so overlapping calls count once. */
  async #timed<T>(tokens: number, work: () => Promise<T>): Promise<T> {
    if (this.#active++ === 0) this.#busySince = performance.now();
    try {
      return await work();
    } finally {
      if (--this.#active === 0)
        this.#stats.engineSeconds += (performance.now() - this.#busySince) / 1000;
      this.#stats.tokensEvaluated += tokens;
    }
  }

  countTokens(text: string): number {
    return this.#encode(text).length;
  }

  #encode(text: string): Token[] {
    const tokens = this.#tokenizer.tokenize(text);
    const bos = this.#tokenizer.bos;
    return this.#addBos && bos !== null ? [bos, ...tokens] : tokens;
  }

  /**
   * lm-evaluation-harness's `_encode_pair`: trailing whitespace of the context moves to the
   * continuation; context and continuation are tokenised together and split after the context's
   * own tokens, so every choice of an item shares exactly the same context tokens.
   */
  #split(context: string, continuations: readonly string[]) {
    const spaces = context.length - context.trimEnd().length;
    const head = context.slice(0, context.length - spaces);
    const tail = context.slice(context.length - spaces);
    let contextTokens = this.#encode(head);
    if (contextTokens.length === 0) {
      const prefix = this.#tokenizer.bos ?? this.#tokenizer.eos;
      if (prefix === null)
        throw new BenchError(
          "E_BACKEND",
          "gguf: empty context and the model has no BOS or EOS token",
        );
      contextTokens = [prefix];
    }
    const choices = continuations.map((continuation) => {
      const whole = this.#encode(head + tail + continuation);
      return head === "" ? whole.slice(this.#addBos ? 1 : 0) : whole.slice(contextTokens.length);
    });
    return { contextTokens, choices };
  }

  async loglikelihood(
    request: LoglikelihoodRequest,
    signal?: AbortSignal,
  ): Promise<ContinuationScore[]> {
    const { contextTokens, choices } = this.#split(request.context, request.continuations);
    for (const [i, tokens] of choices.entries()) {
      if (tokens.length === 0) {
        throw new BenchError(
          "E_EMPTY_CONTINUATION",
          `choice ${i} (${JSON.stringify(request.continuations[i])}) adds no tokens after the context`,
        );
      }
    }
    const longest = Math.max(...choices.map((c) => c.length));
    let context = contextTokens;
    const over = context.length + longest - this.info.contextSize;
    // Keep BOS and at least one context token: its logits score every choice's first token.
    const kept = this.#addBos && this.#tokenizer.bos !== null ? 1 : 0;
    if (over > 0 && request.truncate === "left" && context.length - over > kept) {
      // lm-eval keeps the end of the context; all choices see the same truncated context.
      context = [...context.slice(0, kept), ...context.slice(kept + over)];
    } else if (over > 0) {
      throw new BenchError(
        "E_CONTEXT_OVERFLOW",
        `item needs ${contextTokens.length + longest} tokens but the context holds ${this.info.contextSize}`,
        { hint: "raise backend.contextSize in the model manifest" },
      );
    }
    const truncatedTokens = contextTokens.length - context.length;
    signal?.throwIfAborted();
    const native = this.#native;
    const prefix = native ? this.#prefixTokens(request.sharedPrefix, context) : 0;
    const scores = native
      ? await this.#nativeSerial.run(() =>
          this.#timed(0, () => native.score(context, choices, signal, prefix)),
        )
      : await this.#withSequence((sequence) => this.#score(sequence, context, choices, signal));
    return scores.map((score) => ({ ...score, truncatedTokens }));
  }

  #lastPrefix: { text: string; tokens: Token[] } | undefined;

  /**
   * How many of the context's tokens are the shared prefix's: the longest common start of the
   * context and the prefix tokenised alone (tokens can merge across the prefix's end). Below 32
   * tokens it is not worth a decode of its own. A function of the item alone.
   */
  #prefixTokens(text: string | undefined, context: readonly Token[]): number {
    if (text === undefined || text === "") return 0;
    if (this.#lastPrefix?.text !== text) this.#lastPrefix = { text, tokens: this.#encode(text) };
    const tokens = this.#lastPrefix.tokens;
    let k = 0;
    while (k < tokens.length && k < context.length && tokens[k] === context[k]) k++;
    return k >= 32 ? k : 0;
  }

  async #score(
    sequence: LlamaContextSequence,
    contextTokens: Token[],
    choices: Token[][],
    signal?: AbortSignal,
  ): Promise<Omit<ContinuationScore, "truncatedTokens">[]> {
    const n = contextTokens.length;
    // Reuse the previous item's context only in whole aligned chunks, and evaluate the rest in
    // chunks aligned to absolute positions: every KV entry is then computed from the same batch as
    // in a fresh evaluation, so an item's numbers never depend on the item before it (a resumed
    // run reproduces an uninterrupted one bit for bit). The last context token is always
    // evaluated again: its logits score every choice's first token.
    const held = sequence.contextTokens;
    let common = 0;
    while (common < n - 1 && common < held.length && held[common] === contextTokens[common])
      common++;
    const keep = Math.floor(common / contextChunk) * contextChunk;
    if (sequence.nextTokenIndex > keep) {
      await this.#timed(0, () =>
        sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]),
      );
    }
    const firstTargets = [...new Set(choices.map((c) => c[0] as Token))];
    let contextOut: Awaited<ReturnType<LlamaContextSequence["controlledEvaluate"]>> = [];
    for (let start = keep; start < n; ) {
      const end = Math.min(n, (Math.floor(start / contextChunk) + 1) * contextChunk);
      const chunk = contextTokens.slice(start, end);
      contextOut = await this.#timed(chunk.length, () =>
        sequence.controlledEvaluate(
          chunk.map((token, i) => (start + i === n - 1 ? [token, scoring(firstTargets)] : token)),
        ),
      );
      start = end;
    }
    const last = contextOut[contextOut.length - 1]?.next;
    const scores: Omit<ContinuationScore, "truncatedTokens">[] = [];
    for (const tokens of choices) {
      signal?.throwIfAborted();
      const first = logProb(last, tokens[0] as Token);
      let { logprob: sum, greedy } = first;
      const tokenLogprobs = [first.logprob];
      if (tokens.length > 1) {
        const inputs = tokens.slice(0, -1);
        const out = await this.#timed(inputs.length, () =>
          sequence.controlledEvaluate(
            inputs.map((token, i) => [token, scoring([tokens[i + 1] as Token])]),
          ),
        );
        for (let i = 0; i < inputs.length; i++) {
          const step = logProb(out[i]?.next, tokens[i + 1] as Token);
          tokenLogprobs.push(step.logprob);
          sum += step.logprob;
          greedy &&= step.greedy;
        }
        await this.#timed(0, () =>
          sequence.eraseContextTokenRanges([{ start: n, end: sequence.nextTokenIndex }]),
        );
      }
      scores.push({
        loglikelihood: sum,
        tokens: tokens.length,
        greedy,
        tokenIds: [...tokens],
        tokenLogprobs,
      });
    }
    return scores;
  }

  generate(request: GenerateRequest, signal?: AbortSignal): Promise<GenerateResult> {
    return this.#withSequence((sequence, engine) =>
      this.#generate(sequence, engine, request, signal),
    );
  }

  /**
   * The generation as it happens: a delta per text chunk node-llama-cpp releases (it holds back
   * text that may begin a stop sequence), with the tokens sampled since the last one.
   */
  stream(request: GenerateRequest, signal?: AbortSignal): AsyncIterable<StreamPart> {
    return streamFrom((r, onPart, s) => this.streamTo(r, onPart, s), request, signal);
  }

  /** The same parts pushed as node-llama-cpp releases them (speed runs read them so). */
  async streamTo(
    request: GenerateRequest,
    onPart: (part: StreamPart) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    let tokens = 0;
    const result = await this.#withSequence((sequence, engine) =>
      this.#generate(sequence, engine, request, signal, {
        onToken: (count) => {
          tokens += count;
        },
        onTextChunk: (text) => {
          onPart({ type: "delta", text, tokens, atMs: performance.now() });
          tokens = 0;
        },
      }),
    );
    onPart({
      type: "finish",
      finishReason: result.finishReason,
      promptTokens: result.promptTokens,
      completionTokens: result.tokens,
      truncatedTokens: result.truncatedTokens,
      atMs: performance.now(),
    });
  }

  #chat: JinjaTemplateChatWrapper | undefined;

  /** The prompt as one user message of the model's own chat template, ready for the assistant's turn. */
  #chatPrompt(
    engine: NlcEngine,
    chatWrapper: typeof JinjaTemplateChatWrapper,
    specialText: typeof import("node-llama-cpp").SpecialTokensText,
    text: string,
  ): Token[] {
    const model = engine.model;
    if (this.#chat === undefined) {
      const template = model.fileInfo.metadata.tokenizer?.chat_template;
      if (typeof template !== "string" || template.trim() === "") {
        throw new BenchError(
          "E_CAPABILITY",
          "gguf: the task asks for the model's chat template (chatTemplate: true), but the model has none (no tokenizer.chat_template in its GGUF metadata)",
          {
            hint: "set chatTemplate: false on the task, or evaluate a model whose GGUF carries its chat template",
          },
        );
      }
      try {
        // reasoning: null leaves the template's own default for enable_thinking.
        this.#chat = new chatWrapper({ template, reasoning: null });
      } catch (cause) {
        throw new BenchError(
          "E_CAPABILITY",
          `gguf: the model's chat template (tokenizer.chat_template) cannot be used: ${(cause as Error).message}`,
          { hint: "set chatTemplate: false on the task", cause },
        );
      }
    }
    const { contextText } = this.#chat.generateContextState({
      chatHistory: [
        { type: "user", text },
        { type: "model", response: [] },
      ],
    });
    // As Hugging Face's apply_chat_template and llama.cpp do: the rendered text is tokenised as a
    // whole, special tokens parsed, not piece by piece (pieces would tokenise differently at
    // their joins); only built-in tokens (BOS, EOS) are inserted as they are.
    const tokens: Token[] = [];
    let run = "";
    const flush = () => {
      if (run !== "") tokens.push(...model.tokenize(run, true));
      run = "";
    };
    for (const value of contextText.values) {
      if (typeof value === "string") run += value;
      else if (value instanceof specialText) run += value.value;
      else {
        flush();
        tokens.push(...value.tokenize(model.tokenizer));
      }
    }
    flush();
    const bos = model.tokens.bos;
    // Templates that write bos_token themselves must not get a second one.
    return this.#addBos && bos !== null && tokens[0] !== bos ? [bos, ...tokens] : tokens;
  }

  async #generate(
    sequence: LlamaContextSequence,
    engine: NlcEngine,
    request: GenerateRequest,
    signal?: AbortSignal,
    hooks?: { onToken(count: number): void; onTextChunk(text: string): void },
  ): Promise<GenerateResult & { promptTokens: number }> {
    const { LlamaCompletion, JinjaTemplateChatWrapper, SpecialTokensText } = await nlc();
    await sequence.clearHistory();
    const completion = new LlamaCompletion({ contextSequence: sequence });
    const start = performance.now();
    let firstTokenAt: number | null = null;
    let generated = 0;
    let prompt = request.chatTemplate
      ? this.#chatPrompt(engine, JinjaTemplateChatWrapper, SpecialTokensText, request.prompt)
      : this.#encode(request.prompt);
    const whole = prompt.length;
    // Keep BOS.
    const kept = this.#addBos && prompt[0] === engine.model.tokens.bos ? 1 : 0;
    prompt = fitPrompt(prompt, request, this.info.contextSize, kept);
    let response: Awaited<ReturnType<typeof completion.generateCompletionWithMeta>>;
    try {
      response = await this.#timed(prompt.length, () =>
        completion.generateCompletionWithMeta(prompt, {
          maxTokens: request.maxTokens,
          temperature: request.temperature ?? 0,
          // Sampling is what the request says: node-llama-cpp's own defaults (top-k 40, top-p
          // 0.95) would apply otherwise.
          ...(request.temperature
            ? {
                topK: 0,
                topP: request.topP ?? 1,
                ...(request.seed === undefined ? {} : { seed: request.seed }),
              }
            : {}),
          ...(request.stop?.length ? { customStopTriggers: [...request.stop] } : {}),
          ...(signal ? { signal } : {}),
          onToken: (tokens) => {
            firstTokenAt ??= performance.now();
            generated += tokens.length;
            hooks?.onToken(tokens.length);
          },
          ...(hooks ? { onTextChunk: (text: string) => hooks.onTextChunk(text) } : {}),
        }),
      );
    } finally {
      completion.dispose({ disposeSequence: false });
    }
    this.#stats.tokensEvaluated += generated;
    const reason = response.metadata.stopReason;
    return {
      text: response.response,
      tokens: generated,
      timeToFirstTokenMs: firstTokenAt === null ? null : firstTokenAt - start,
      totalMs: performance.now() - start,
      finishReason: reason === "maxTokens" ? "length" : reason === "eogToken" ? "eos" : "stop",
      truncatedTokens: whole - prompt.length,
      promptTokens: prompt.length,
    };
  }

  async peakVramBytes(): Promise<number | undefined> {
    if (!this.info.gpu.used) return undefined;
    return (await (await this.#engine()).llama.getVramState()).used;
  }

  async dispose(): Promise<void> {
    await this.#nativeSerial.run(async () => undefined);
    this.#native?.dispose();
    if (this.#nlc) {
      const engine = await this.#nlc.catch(() => undefined);
      if (engine) {
        await engine.context.dispose();
        await engine.model.dispose();
        await engine.llama.dispose();
      }
    }
  }
}

/** What a gguf load needs: the request's files, the manifest's options and the run's settings. */
interface GgufLoad {
  weightsPath: string;
  threads: number;
  contextSize: number;
  gpu: GpuChoice;
  parallel?: number;
  needs?: readonly Capability[];
  addBos?: boolean;
  gpuLayers?: number | "auto" | "max";
  batchSize?: number;
  flashAttention?: boolean;
  lora?: { path: string; scale: number }[];
}

function ggufLoad({ artifacts, options, runtime }: LoadRequest<GgufBackend>): GgufLoad {
  if (artifacts.weights === undefined) {
    throw new BenchError("E_INTERNAL", "gguf: the load request names no weights file");
  }
  return {
    weightsPath: artifacts.weights,
    threads: runtime.threads,
    contextSize: declaredContextSize(options),
    gpu: runtime.gpu,
    ...(runtime.parallel === undefined ? {} : { parallel: runtime.parallel }),
    ...(runtime.needs === undefined ? {} : { needs: runtime.needs }),
    ...(options.addBos === undefined ? {} : { addBos: options.addBos }),
    ...(options.gpuLayers === undefined ? {} : { gpuLayers: options.gpuLayers }),
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.flashAttention === undefined ? {} : { flashAttention: options.flashAttention }),
    ...(artifacts.lora?.length ? { lora: artifacts.lora } : {}),
  };
}

/** Loads a model through node-llama-cpp's prebuilt binaries (never built from source here). */
async function loadNlc(options: GgufLoad, contextSize: number): Promise<NlcEngine> {
  const { getLlama, LlamaLogLevel } = await nlc();
  let llama: Llama;
  try {
    llama = await getLlama({
      gpu: options.gpu,
      build: "never",
      maxThreads: options.threads,
      logLevel: LlamaLogLevel.error,
    });
  } catch (cause) {
    throw new BenchError(
      "E_BACKEND_LOAD",
      `gguf: no prebuilt llama.cpp binary for gpu=${String(options.gpu)}`,
      {
        hint:
          options.gpu === false
            ? "reinstall dependencies (npm install) so that node-llama-cpp's prebuilt CPU binary is present"
            : "run with --gpu false for the CPU build, or install the @node-llama-cpp package for your GPU",
        cause,
      },
    );
  }
  try {
    const model = await llama.loadModel({
      modelPath: options.weightsPath,
      gpuLayers: options.gpu === false ? 0 : (options.gpuLayers ?? "auto"),
    });
    const parallel = options.parallel ?? 1;
    const context = await model.createContext({
      contextSize: Math.min(contextSize, model.trainContextSize),
      threads: options.threads,
      sequences: parallel,
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(options.flashAttention === undefined ? {} : { flashAttention: options.flashAttention }),
      ...(options.lora
        ? {
            lora: {
              adapters: options.lora.map((a) => ({ filePath: a.path, scale: a.scale })),
            },
          }
        : {}),
    });
    const free: LlamaContextSequence[] = [];
    for (let i = 0; i < parallel; i++) free.push(context.getSequence());
    return { llama, model, context, free, waiting: [] };
  } catch (cause) {
    await llama.dispose();
    if (cause instanceof BenchError) throw cause;
    throw loadError(options, cause);
  }
}

const loadError = (options: GgufLoad, cause: unknown) =>
  new BenchError(
    "E_BACKEND_LOAD",
    `gguf: could not load ${options.weightsPath}: ${(cause as Error).message}`,
    {
      hint: "check that the file is a GGUF model that this llama.cpp release supports",
      cause,
    },
  );

/**
 * GGUF models through llama.cpp. On the CPU, items are scored through llama.cpp's C API in
 * llama-perplexity's batches (llama-native.ts) and node-llama-cpp loads only for generation; with
 * --gpu, or where the native engine cannot run, node-llama-cpp's binding does both (the result's
 * environment names the engine and why).
 */
export const ggufBackend: Backend<GgufBackend> = {
  id: "gguf",
  contractVersion: 2,
  async load(request: LoadRequest<GgufBackend>): Promise<LoadedModel> {
    const options = ggufLoad(request);
    const binaries = nativeBinaries();
    const scores = options.needs === undefined || options.needs.includes("loglikelihood");
    // LoRA adapters go through node-llama-cpp, which then also scores.
    if (options.gpu === false && scores && "dir" in binaries && !options.lora) {
      const native = await NativeScorer.open(binaries.dir, {
        weightsPath: options.weightsPath,
        threads: options.threads,
        contextSize: options.contextSize,
        ...(options.addBos === undefined ? {} : { addBos: options.addBos }),
        ...(options.flashAttention === undefined ? {} : { flashAttention: options.flashAttention }),
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      }).catch((cause) => {
        throw cause instanceof BenchError ? cause : loadError(options, cause);
      });
      const info: LoadedModel["info"] = {
        versions: { ...packageVersions(), scoring: "llama.cpp C API (llama-perplexity batches)" },
        gpu: { used: false, reason: "disabled by --gpu false" },
        contextSize: native.contextSize,
        threads: options.threads,
        parallel: options.parallel ?? 1,
        // One item is tokenised while the one before it is decoded; decodes run one at a time.
        inFlight: Math.max(2, options.parallel ?? 1),
      };
      return new GgufModel({
        info,
        addBos: native.addBos,
        tokenizer: {
          tokenize: (text) => native.tokenize(text) as Token[],
          bos: native.bos as Token | null,
          eos: native.eos as Token | null,
        },
        native,
        loadNlc: () => loadNlc(options, native.contextSize),
      });
    }
    const engine = await loadNlc(options, options.contextSize);
    const { llama, model } = engine;
    const gpuUsed = llama.gpu !== false;
    const info: LoadedModel["info"] = {
      versions: {
        ...packageVersions(),
        scoring: `node-llama-cpp (${
          options.gpu !== false
            ? "GPU requested"
            : !scores
              ? "no log-likelihoods asked"
              : options.lora
                ? "LoRA adapters applied"
                : (binaries as { unavailable: string }).unavailable
        })`,
      },
      gpu: gpuUsed
        ? { used: true, devices: await llama.getGpuDeviceNames() }
        : {
            used: false,
            reason: options.gpu === false ? "disabled by --gpu false" : "no supported GPU found",
          },
      contextSize: engine.context.contextSize,
      threads: options.threads,
      parallel: options.parallel ?? 1,
    };
    return new GgufModel({
      info,
      addBos: options.addBos ?? model.tokens.shouldPrependBosToken,
      tokenizer: {
        tokenize: (text) => model.tokenize(text, false),
        bos: model.tokens.bos,
        eos: model.tokens.eos,
      },
      nlc: engine,
      loadNlc: () => Promise.resolve(engine),
    });
  },
};
