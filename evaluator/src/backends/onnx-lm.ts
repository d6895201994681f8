import type { InferenceSession, Tensor } from "onnxruntime-node";
import { BenchError } from "../errors/index.ts";
import type { OnnxBackend } from "../generated/model.ts";
import { logitRow, logProb } from "../pure/logits.ts";
import { mulberry32 } from "../pure/random.ts";
import { printable } from "../pure/text.ts";
import { fitPrompt, Serial } from "./stream.ts";
import type {
  ContinuationScore,
  EngineStats,
  GenerateRequest,
  GenerateResult,
  LoadedModel,
  LoglikelihoodRequest,
  StreamPart,
} from "./types.ts";

/** What the tokenizer library gives the model (see onnx.ts). */
interface Tokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[] };
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
  token_to_id(token: string): number | undefined;
}

/** IEEE 754 half-precision bits to a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** The end-of-sequence tokens a tokenizer.json usually names. */
const eosNames = ["</s>", "<|endoftext|>", "<|eot_id|>", "<|im_end|>", "<eos>", "<|end|>"];

interface KvLayout {
  /** past_key_values.N.key / .value inputs, and the present.N.* outputs that feed them. */
  pairs: { input: string; output: string }[];
  type: "float32" | "float16";
  /** Dimensions of an empty past: [1, heads, 0, headDim]. */
  heads: number;
  headDim: number;
}

/**
 * A causal language model exported to ONNX (Optimum or onnxruntime-genai names), with or
 * without KV-cache inputs, fp32 or fp16: log-likelihoods from one forward pass over context and
 * continuation (lm-evaluation-harness's loglikelihood), and generation token by token, greedy or
 * sampled (temperature, top-p, seeded), reusing the KV cache where the model has one.
 */
export class OnnxCausalLm implements LoadedModel {
  readonly info: LoadedModel["info"];
  readonly #session: InferenceSession;
  readonly #Tensor: typeof Tensor;
  readonly #tokenizer: Tokenizer;
  readonly #kv: KvLayout | undefined;
  readonly #positions: boolean;
  readonly #eos: Set<number>;
  readonly #stats: EngineStats = { engineSeconds: 0, tokensEvaluated: 0 };
  readonly #serial = new Serial();

  constructor(init: {
    info: LoadedModel["info"];
    session: InferenceSession;
    TensorClass: typeof Tensor;
    tokenizer: Tokenizer;
    kv: KvLayout | undefined;
    positions: boolean;
    eos: Set<number>;
  }) {
    this.info = init.info;
    this.#session = init.session;
    this.#Tensor = init.TensorClass;
    this.#tokenizer = init.tokenizer;
    this.#kv = init.kv;
    this.#positions = init.positions;
    this.#eos = init.eos;
  }

  #ids(text: string, special = true): number[] {
    return this.#tokenizer.encode(text, { add_special_tokens: special }).ids;
  }

  countTokens(text: string): number {
    return this.#ids(text).length;
  }

  #int64(values: readonly number[], dims: number[]): Tensor {
    return new this.#Tensor(
      "int64",
      BigInt64Array.from(values, (v) => BigInt(v)),
      dims,
    );
  }

  /**
   * One forward pass over `ids` (positions from `past`), returning the logits of the rows asked
   * (as doubles) and the new past.
   */
  async #forward(
    ids: readonly number[],
    past: Record<string, Tensor> | undefined,
    pastLength: number,
    rows: readonly number[],
  ): Promise<{ rows: ArrayLike<number>[]; present: Record<string, Tensor> | undefined }> {
    const n = ids.length;
    const total = pastLength + n;
    const feeds: Record<string, Tensor> = {
      input_ids: this.#int64(ids, [1, n]),
      attention_mask: new this.#Tensor("int64", new BigInt64Array(total).fill(1n), [1, total]),
    };
    if (this.#positions) {
      feeds.position_ids = this.#int64(
        Array.from({ length: n }, (_, i) => pastLength + i),
        [1, n],
      );
    }
    const kv = this.#kv;
    if (kv) {
      for (const { input } of kv.pairs) {
        feeds[input] =
          past?.[input] ??
          (kv.type === "float16"
            ? this.#f16(new Uint16Array(0), [1, kv.heads, 0, kv.headDim])
            : new this.#Tensor("float32", new Float32Array(0), [1, kv.heads, 0, kv.headDim]));
      }
    }
    const start = performance.now();
    let out: InferenceSession.ReturnType;
    try {
      out = await this.#session.run(feeds);
    } catch (cause) {
      throw new BenchError(
        "E_BACKEND",
        `onnxruntime failed on ${n} tokens: ${printable((cause as Error).message, 200)}`,
        { cause },
      );
    } finally {
      this.#stats.engineSeconds += (performance.now() - start) / 1000;
      this.#stats.tokensEvaluated += n;
    }
    const logits = out.logits as Tensor;
    const vocab = logits.dims.at(-1) as number;
    const data = logits.data as ArrayLike<number>;
    // Rows of values (float32, or fp16 as Float16Array where the runtime has it) are read in place,
    // widened to doubles exactly where they are used; fp16 as raw bits (a Uint16Array) is decoded
    // into a copy.
    const half = data instanceof Uint16Array;
    const picked = rows.map((r): ArrayLike<number> => {
      const offset = r * vocab;
      if (!half) return (data as unknown as Float32Array).subarray(offset, offset + vocab);
      const row = new Float64Array(vocab);
      for (let v = 0; v < vocab; v++) row[v] = halfToFloat(data[offset + v] as number);
      return row;
    });
    const present = kv
      ? Object.fromEntries(
          kv.pairs.map(({ input, output }) => [input, this.#asInput(out[output] as Tensor)]),
        )
      : undefined;
    return { rows: picked, present };
  }

  /**
   * An fp16 tensor the native binding can read. onnxruntime-common stores fp16 data as a
   * Float16Array where the runtime has one (Node 24+), which onnxruntime-node 1.30's binding reads
   * as empty ("not enough space: expected n, got 0"); the raw bits in a Uint16Array it reads.
   */
  #f16(bits: Uint16Array, dims: readonly number[]): Tensor {
    const tensor = new this.#Tensor("float16", bits, dims);
    (tensor as unknown as { cpuData: Uint16Array }).cpuData = bits;
    return tensor;
  }

  /** A present tensor as the next step's past (fp16 through its raw bits). */
  #asInput(tensor: Tensor): Tensor {
    if (tensor.type !== "float16") return tensor;
    const data = tensor.data as unknown as ArrayLike<number> & ArrayBufferView;
    // A Float16Array's bytes are the raw bits already: viewed, never copied (the cache grows
    // with every token).
    const bits =
      data instanceof Uint16Array
        ? data
        : new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
    return this.#f16(bits, tensor.dims);
  }

  loglikelihood(request: LoglikelihoodRequest): Promise<ContinuationScore[]> {
    // One request at a time: the session is not shared between concurrent runs.
    return this.#serial.run(async () => {
      const scores: ContinuationScore[] = [];
      // lm-evaluation-harness: trailing context whitespace moves to the continuation.
      const trimmed = request.context.replace(/\s+$/, "");
      const contextIds = this.#ids(trimmed);
      for (const continuation of request.continuations) {
        // lm-evaluation-harness's _encode_pair: the whole, encoded, after the context's tokens.
        const whole = this.#ids(request.context + continuation);
        const split = contextIds.length;
        if (split >= whole.length) {
          throw new BenchError(
            "E_EMPTY_CONTINUATION",
            `the continuation ${printable(JSON.stringify(continuation.slice(0, 40)), 60)} adds no token`,
          );
        }
        if (whole.length > this.info.contextSize) {
          throw new BenchError(
            "E_CONTEXT_OVERFLOW",
            `item needs ${whole.length} tokens, but the context holds ${this.info.contextSize}`,
            { hint: "raise backend.contextSize in the model manifest" },
          );
        }
        const rows = Array.from({ length: whole.length - split }, (_, i) => split - 1 + i);
        const { rows: logits } = await this.#forward(whole, undefined, 0, rows);
        const tokenIds = whole.slice(split);
        const tokenLogprobs: number[] = [];
        let greedy = true;
        for (const [i, row] of logits.entries()) {
          const scored = logProb(logitRow(row), tokenIds[i] as number);
          tokenLogprobs.push(scored.logprob);
          if (!scored.greedy) greedy = false;
        }
        scores.push({
          loglikelihood: tokenLogprobs.reduce((s, x) => s + x, 0),
          tokens: tokenIds.length,
          greedy,
          tokenIds,
          tokenLogprobs,
          truncatedTokens: 0,
        });
      }
      return scores;
    });
  }

  /** The next token from a row of logits: argmax, or a seeded draw with temperature and top-p. */
  static pick(
    row: ArrayLike<number>,
    temperature: number,
    topP: number,
    random: (() => number) | undefined,
  ): number {
    if (!temperature || !random) {
      let best = 0;
      for (let v = 1; v < row.length; v++) if ((row[v] as number) > (row[best] as number)) best = v;
      return best;
    }
    // Natural-log probabilities in doubles: logit / T − (max + ln Σ exp(logit / T − max)).
    const scaled = Float64Array.from(row, (x) => x / temperature);
    const { max, logSum } = logitRow(scaled);
    const log = logSum + max;
    const lp = scaled.map((x) => x - log);
    const order = Array.from(lp.keys()).sort((a, b) => (lp[b] as number) - (lp[a] as number));
    const kept: number[] = [];
    const probabilities: number[] = [];
    let mass = 0;
    for (const v of order) {
      const p = Math.exp(lp[v] as number);
      kept.push(v);
      probabilities.push(p);
      mass += p;
      if (mass >= topP) break;
    }
    let u = (random() / 4294967296) * mass;
    for (const [i, v] of kept.entries()) {
      u -= probabilities[i] as number;
      if (u <= 0) return v;
    }
    return kept.at(-1) as number;
  }

  async *stream(request: GenerateRequest, signal?: AbortSignal): AsyncGenerator<StreamPart> {
    if (request.chatTemplate) {
      throw new BenchError(
        "E_CAPABILITY",
        "the onnx backend does not apply chat templates (tokenizer_config.json is not read)",
      );
    }
    let prompt = this.#ids(request.prompt);
    const whole = prompt.length;
    prompt = fitPrompt(prompt, request, this.info.contextSize, 1);
    const random =
      request.temperature && request.seed !== undefined ? mulberry32(request.seed) : undefined;
    const generated: number[] = [];
    let text = "";
    let reason: GenerateResult["finishReason"] = "length";
    let past: Record<string, Tensor> | undefined;
    const sequence = [...prompt];
    let fed = 0;
    while (generated.length < request.maxTokens) {
      signal?.throwIfAborted();
      // With a KV cache only the new tokens go in; without one, the whole sequence again.
      const input = this.#kv ? sequence.slice(fed) : sequence;
      const pastLength = this.#kv ? fed : 0;
      const step = await this.#serial.run(() =>
        this.#forward(input, past, pastLength, [input.length - 1]),
      );
      past = step.present;
      fed = sequence.length;
      const next = OnnxCausalLm.pick(
        step.rows[0] as ArrayLike<number>,
        request.temperature ?? 0,
        request.topP ?? 1,
        random,
      );
      if (this.#eos.has(next) && !request.ignoreEos) {
        reason = "eos";
        break;
      }
      generated.push(next);
      sequence.push(next);
      const decoded = this.#tokenizer.decode(generated, { skip_special_tokens: true });
      const delta = decoded.slice(text.length);
      text = decoded;
      if (delta !== "") yield { type: "delta", text: delta, tokens: 1, atMs: performance.now() };
      if (request.stop?.some((s) => text.includes(s))) {
        reason = "stop";
        break;
      }
    }
    yield {
      type: "finish",
      finishReason: reason,
      promptTokens: prompt.length,
      completionTokens: generated.length,
      truncatedTokens: whole - prompt.length,
      atMs: performance.now(),
    };
  }

  async generate(request: GenerateRequest, signal?: AbortSignal): Promise<GenerateResult> {
    const start = performance.now();
    let first: number | null = null;
    let text = "";
    let result: GenerateResult | undefined;
    for await (const part of this.stream(request, signal)) {
      if (part.type === "delta") {
        first ??= part.atMs - start;
        text += part.text;
      } else {
        result = {
          text,
          tokens: part.completionTokens,
          timeToFirstTokenMs: first,
          totalMs: performance.now() - start,
          finishReason: part.finishReason,
          truncatedTokens: part.truncatedTokens,
        };
      }
    }
    return result as GenerateResult;
  }

  stats(): EngineStats {
    return { ...this.#stats };
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }
}

/** Checks a causal LM's inputs and outputs and opens it; every problem names the file. */
export async function openCausalLm(init: {
  label: string;
  session: InferenceSession;
  TensorClass: typeof Tensor;
  tokenizer: Tokenizer;
  settings: OnnxBackend;
  info: LoadedModel["info"];
}): Promise<OnnxCausalLm> {
  const { session, label } = init;
  const problems: string[] = [];
  const names = session.inputNames;
  for (const need of ["input_ids", "attention_mask"]) {
    if (!names.includes(need)) problems.push(`it has no ${need} input`);
  }
  if (!session.outputNames.includes("logits")) problems.push("it has no logits output");
  const pastInputs = session.inputMetadata.filter((m) =>
    /^past_key_values\.\d+\.(key|value)$/.test(m.name),
  );
  const other = names.filter(
    (n) =>
      !["input_ids", "attention_mask", "position_ids"].includes(n) &&
      !/^past_key_values\.\d+\.(key|value)$/.test(n),
  );
  if (other.length > 0) {
    problems.push(
      `inputs ${printable(other.join(", "), 120)} are not a causal LM's (expected input_ids, attention_mask, position_ids, past_key_values.N.key/value)`,
    );
  }
  let kv: KvLayout | undefined;
  if (pastInputs.length > 0) {
    const first = pastInputs[0];
    const shape = first?.isTensor ? first.shape : [];
    const type = first?.isTensor ? first.type : "unknown";
    const heads = shape[1];
    const headDim = shape[3];
    if (
      (type !== "float32" && type !== "float16") ||
      typeof heads !== "number" ||
      typeof headDim !== "number"
    ) {
      problems.push(
        `its past_key_values inputs are ${type} [${shape.join(", ")}] (expected float32 or float16 [batch, heads, past, head size] with fixed heads and head size)`,
      );
    } else {
      const pairs = pastInputs.map((m) => ({
        input: m.name,
        output: m.name.replace("past_key_values", "present"),
      }));
      const missing = pairs.filter((p) => !session.outputNames.includes(p.output));
      if (missing.length > 0) {
        problems.push(
          `it has no ${missing.map((p) => p.output).join(", ")} output for its KV cache`,
        );
      }
      kv = { pairs, type, heads, headDim };
    }
  }
  const eos = new Set<number>(
    init.settings.eosTokenIds ??
      eosNames
        .map((name) => init.tokenizer.token_to_id(name))
        .filter((id): id is number => id !== undefined),
  );
  if (problems.length > 0) {
    await session.release();
    throw new BenchError("E_BACKEND_LOAD", problems.map((p) => `${label}: ${p}`).join("\n"), {
      hint: "export the model with optimum-cli export onnx --task text-generation(-with-past)",
    });
  }
  return new OnnxCausalLm({
    info: init.info,
    session,
    TensorClass: init.TensorClass,
    tokenizer: init.tokenizer,
    kv,
    positions: names.includes("position_ids"),
    eos,
  });
}
