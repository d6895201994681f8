import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { InferenceSession, Tensor } from "onnxruntime-node";
import { displayPath } from "../config/yaml.ts";
import { BenchError } from "../errors/index.ts";
import type { OnnxBackend } from "../generated/model.ts";
import { backtrackingRisk } from "../pure/filters.ts";
import { printable } from "../pure/text.ts";
import { openCausalLm } from "./onnx-lm.ts";
import { declaredContextSize } from "./registry.ts";
import { Serial } from "./stream.ts";
import type {
  Backend,
  ClassifyRequest,
  ClassifyResult,
  EngineStats,
  LoadedModel,
  LoadRequest,
} from "./types.ts";

/** onnxruntime-node loads only when an ONNX model is used. */
const ort = () => import("onnxruntime-node");

/** The inputs a Hugging Face sequence classifier takes, as Optimum exports them. */
const knownInputs = ["input_ids", "attention_mask", "token_type_ids"] as const;
type InputName = (typeof knownInputs)[number];

/** The largest tokenizer.json read (the big multilingual ones are about 20 MB). */
const maxTokenizerBytes = 64 * 1024 * 1024;

function packageVersion(name: string): string {
  // Neither package exports its package.json; their entry points sit one folder down.
  let dir = dirname(fileURLToPath(import.meta.resolve(name)));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    try {
      const json = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (json.name === name) return String(json.version);
    } catch {
      // not this folder
    }
  }
  return "unknown";
}

/** A tokenizer.json read and checked; any failure names the file. */
async function loadTokenizer(path: string, label: string) {
  const shown = displayPath(path);
  const size = statSync(path).size;
  if (size > maxTokenizerBytes) {
    throw new BenchError(
      "E_BACKEND_LOAD",
      `${label}: $.tokenizer: ${shown} is ${size} bytes (expected at most ${maxTokenizerBytes})`,
      { hint: "point $.tokenizer at the model's tokenizer.json" },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new BenchError(
      "E_BACKEND_LOAD",
      `${label}: $.tokenizer: ${shown} is not JSON (${printable((cause as Error).message, 120)})`,
      { hint: "point $.tokenizer at the model's tokenizer.json", cause },
    );
  }
  const model = (json as { model?: { type?: unknown } } | null)?.model;
  if (typeof json !== "object" || json === null || typeof model !== "object" || model === null) {
    throw new BenchError(
      "E_BACKEND_LOAD",
      `${label}: $.tokenizer: ${shown} has no tokenizer model (expected a Hugging Face tokenizer.json with a "model" object)`,
      {
        hint: "save one with transformers: AutoTokenizer.from_pretrained(id).save_pretrained(dir)",
      },
    );
  }
  // The library compiles the file's regular expressions as JavaScript ones, with no time limit.
  const risky = riskyPattern(json, "$");
  if (risky) {
    throw new BenchError(
      "E_BACKEND_LOAD",
      `${label}: $.tokenizer: ${shown} at ${risky.path}: the pattern risks catastrophic backtracking: ${risky.why}`,
      { hint: "use the model's own tokenizer.json" },
    );
  }
  const { Tokenizer } = await import("@huggingface/tokenizers");
  let tokenizer: InstanceType<typeof Tokenizer>;
  try {
    tokenizer = new Tokenizer(json, {});
    // A vocabulary without an unknown token can leave ids undefined: find out now, not per item.
    checkedIds(
      tokenizer.encode("Probe: the tokenizer reads 12 words, ünïcödé and punctuation!").ids,
    );
  } catch (cause) {
    throw new BenchError(
      "E_BACKEND_LOAD",
      `${label}: $.tokenizer: ${shown} cannot be used by @huggingface/tokenizers (${printable((cause as Error).message, 160)})`,
      { hint: "check that the file is the model's own tokenizer.json", cause },
    );
  }
  return tokenizer;
}

/** The first `{"Regex": …}` pattern of a tokenizer.json that risks catastrophic backtracking. */
function riskyPattern(node: unknown, path: string): { path: string; why: string } | undefined {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) {
      const found = riskyPattern(item, `${path}[${i}]`);
      if (found) return found;
    }
  } else if (typeof node === "object" && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === "vocab" || key === "merges") continue;
      if (key === "Regex" && typeof value === "string") {
        const why = backtrackingRisk(value);
        if (why) return { path: `${path}.Regex`, why };
      } else {
        const found = riskyPattern(value, `${path}.${key}`);
        if (found) return found;
      }
    }
  }
  return undefined;
}

/** Token ids as the model reads them: non-negative integers, else the tokenizer is broken. */
function checkedIds(ids: readonly unknown[]): number[] {
  for (const id of ids) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0) {
      throw new Error(`the tokenizer gave ${String(id)} for a token id (expected an integer ≥ 0)`);
    }
  }
  return ids as number[];
}

type Tokenizer = Awaited<ReturnType<typeof loadTokenizer>>;

interface Encoded {
  ids: number[];
  typeIds: number[];
  truncatedTokens: number;
}

/**
 * `text` encoded with its special tokens and cut to `limit` tokens as transformers' truncation
 * does for one sequence: the text's own tokens lose their tail, the special tokens around them
 * stay. The special tokens are found by encoding without them and locating that run inside.
 */
export function encodeTruncated(tokenizer: Tokenizer, text: string, limit: number): Encoded {
  let full: { ids: number[]; token_type_ids?: number[] };
  let bare: number[];
  try {
    full = tokenizer.encode(text, { return_token_type_ids: true });
    checkedIds(full.ids);
    if (full.ids.length <= limit) {
      return {
        ids: full.ids,
        typeIds: full.token_type_ids ?? full.ids.map(() => 0),
        truncatedTokens: 0,
      };
    }
    bare = checkedIds(tokenizer.encode(text, { add_special_tokens: false }).ids);
  } catch (cause) {
    throw new BenchError(
      "E_BACKEND",
      `the classifier's tokenizer failed on a text of ${text.length} characters: ${printable((cause as Error).message, 160)}`,
      { cause },
    );
  }
  const typeIds = full.token_type_ids ?? full.ids.map(() => 0);
  let start = -1;
  for (let at = 0; at + bare.length <= full.ids.length && start < 0; at++) {
    if (bare.every((id, i) => full.ids[at + i] === id)) start = at;
  }
  const specials = full.ids.length - bare.length;
  if (start < 0 || specials >= limit) {
    throw new BenchError(
      "E_CONTEXT_OVERFLOW",
      `text of ${full.ids.length} tokens does not fit the classifier's ${limit} and cannot be cut around its special tokens`,
      { hint: "raise backend.contextSize in the classifier's manifest" },
    );
  }
  const keep = limit - specials;
  const end = start + bare.length;
  const pick = <T>(all: T[]) => [...all.slice(0, start + keep), ...all.slice(end)];
  return { ids: pick(full.ids), typeIds: pick(typeIds), truncatedTokens: bare.length - keep };
}

/** Probabilities from one row of logits, computed in doubles. */
export function activate(logits: ArrayLike<number>, activation: "softmax" | "sigmoid"): number[] {
  const values = Array.from(logits, Number);
  if (activation === "sigmoid") return values.map((x) => 1 / (1 + Math.exp(-x)));
  const max = Math.max(...values);
  const exps = values.map((x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

class OnnxClassifier implements LoadedModel {
  readonly info: LoadedModel["info"];
  readonly #session: InferenceSession;
  readonly #TensorClass: typeof Tensor;
  readonly #tokenizer: Tokenizer;
  readonly #settings: OnnxBackend;
  readonly #inputs: readonly InputName[];
  readonly #output: string;
  readonly #stats: EngineStats = { engineSeconds: 0, tokensEvaluated: 0 };
  readonly #serial = new Serial();

  constructor(init: {
    info: LoadedModel["info"];
    session: InferenceSession;
    TensorClass: typeof Tensor;
    tokenizer: Tokenizer;
    settings: OnnxBackend;
    inputs: readonly InputName[];
    output: string;
  }) {
    this.info = init.info;
    this.#session = init.session;
    this.#TensorClass = init.TensorClass;
    this.#tokenizer = init.tokenizer;
    this.#settings = init.settings;
    this.#inputs = init.inputs;
    this.#output = init.output;
  }

  /**
   * Each text runs alone (a batch of one): no padding, so a score never depends on the texts
   * classified with it.
   */
  classify(request: ClassifyRequest, signal?: AbortSignal): Promise<ClassifyResult[]> {
    return this.#serial.run(async () => {
      const results: ClassifyResult[] = [];
      for (const text of request.texts) {
        signal?.throwIfAborted();
        results.push(await this.#one(text));
      }
      return results;
    });
  }

  async #one(text: string): Promise<ClassifyResult> {
    const limit = this.info.contextSize;
    const encoded = encodeTruncated(this.#tokenizer, text, limit);
    const n = encoded.ids.length;
    const tensor = (values: readonly number[]) =>
      new this.#TensorClass(
        "int64",
        BigInt64Array.from(values, (v) => BigInt(v)),
        [1, n],
      );
    const feeds: Record<string, Tensor> = {};
    for (const name of this.#inputs) {
      feeds[name] = tensor(
        name === "input_ids"
          ? encoded.ids
          : name === "attention_mask"
            ? encoded.ids.map(() => 1)
            : encoded.typeIds,
      );
    }
    const start = performance.now();
    let output: Tensor | undefined;
    try {
      output = (await this.#session.run(feeds, [this.#output]))[this.#output];
    } catch (cause) {
      throw new BenchError(
        "E_BACKEND",
        `onnxruntime failed on a text of ${n} tokens: ${printable((cause as Error).message, 200)}`,
        { cause },
      );
    } finally {
      this.#stats.engineSeconds += (performance.now() - start) / 1000;
      this.#stats.tokensEvaluated += n;
    }
    const labels = this.#settings.labels ?? [];
    if (
      output?.type !== "float32" ||
      output.dims.length !== 2 ||
      output.dims[0] !== 1 ||
      output.dims[1] !== labels.length
    ) {
      throw new BenchError(
        "E_BACKEND",
        `the classifier's output ${this.#output} is ${output ? `${output.type} [${output.dims.join(", ")}]` : "missing"} (expected float32 [1, ${labels.length}], one logit per label of backend.labels)`,
        { hint: "check backend.labels against the model's config.json id2label" },
      );
    }
    const probabilities = activate(
      output.data as Float32Array,
      this.#settings.activation ?? "softmax",
    );
    return {
      probabilities: Object.fromEntries(labels.map((label, i) => [label, probabilities[i] ?? 0])),
      tokens: n,
      truncatedTokens: encoded.truncatedTokens,
    };
  }

  stats(): EngineStats {
    return { ...this.#stats };
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }
}

/**
 * ONNX models through onnxruntime-node on the CPU, tokenised by @huggingface/tokenizers from the
 * manifest's tokenizer.json: sequence classifiers (scorers such as a toxicity classifier) and
 * causal language models (onnx-lm.ts), with Hugging Face Optimum's input and output names.
 */
export const onnxBackend: Backend<OnnxBackend> = {
  id: "onnx",
  contractVersion: 2,
  async load({ artifacts, options: settings, runtime }: LoadRequest<OnnxBackend>) {
    if (artifacts.weights === undefined) {
      throw new BenchError("E_INTERNAL", "onnx: the load request names no weights file");
    }
    const weightsPath = artifacts.weights;
    const label = displayPath(weightsPath);
    if (artifacts.tokenizer === undefined) {
      throw new BenchError(
        "E_BACKEND_LOAD",
        `${label}: the onnx backend needs the manifest's $.tokenizer (a tokenizer.json)`,
        { hint: "add tokenizer: {url or path, sha256} to the model manifest" },
      );
    }
    const tokenizer = await loadTokenizer(artifacts.tokenizer, label);
    const { InferenceSession, Tensor: TensorClass, env } = await ort();
    let session: InferenceSession;
    try {
      // From its bytes: a model that names external data files gets no folder to read them from.
      session = await InferenceSession.create(readFileSync(weightsPath), {
        // External data (e.g. model.onnx.data) as the manifest pins it, handed over in memory.
        ...(artifacts.weightsData?.length
          ? {
              externalData: artifacts.weightsData.map((d) => ({
                path: d.fileName,
                data: readFileSync(d.path),
              })),
            }
          : {}),
        executionProviders: ["cpu"],
        intraOpNumThreads: runtime.threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: "all",
      });
    } catch (cause) {
      throw new BenchError(
        "E_BACKEND_LOAD",
        `${label}: onnxruntime cannot load the model: ${printable((cause as Error).message, 240)}`,
        { hint: "check that $.weights is an ONNX model file", cause },
      );
    }
    const info: LoadedModel["info"] = {
      versions: {
        "onnxruntime-node": env.versions.node ?? packageVersion("onnxruntime-node"),
        "@huggingface/tokenizers": packageVersion("@huggingface/tokenizers"),
      },
      gpu: {
        used: false,
        reason:
          runtime.gpu === false
            ? "disabled by --gpu false"
            : "onnx backend runs on the CPU (onnxruntime-node's GPU binaries are not installed)",
      },
      contextSize: declaredContextSize(settings),
      threads: runtime.threads,
      parallel: 1,
    };
    if (settings.task === "causal-lm") {
      return openCausalLm({ label, session, TensorClass, tokenizer, settings, info });
    }
    const labels = settings.labels ?? [];
    const problems: string[] = [];
    const inputs: InputName[] = [];
    for (const meta of session.inputMetadata) {
      if (!(knownInputs as readonly string[]).includes(meta.name)) {
        problems.push(
          `input ${printable(JSON.stringify(meta.name), 80)} is not one a sequence classifier takes (expected ${knownInputs.join(", ")})`,
        );
      } else if (meta.isTensor && meta.type !== "int64") {
        problems.push(`input ${meta.name} is ${meta.type} (expected int64)`);
      } else {
        inputs.push(meta.name as InputName);
      }
    }
    if (!session.inputNames.includes("input_ids")) problems.push("it has no input_ids input");
    const output = session.outputNames.includes("logits")
      ? "logits"
      : session.outputNames.length === 1
        ? (session.outputNames[0] as string)
        : undefined;
    if (output === undefined) {
      problems.push(
        `its outputs ${printable(session.outputNames.join(", "), 120)} include no logits (expected an output named logits, [batch, labels])`,
      );
    } else {
      const meta = session.outputMetadata.find((m) => m.name === output);
      const last = meta?.isTensor ? meta.shape.at(-1) : undefined;
      if (typeof last === "number" && last !== labels.length) {
        problems.push(
          `its output ${output} has ${last} columns but backend.labels names ${labels.length} (expected one label per logit, in config.json's id2label order)`,
        );
      }
    }
    if (problems.length > 0) {
      await session.release();
      throw new BenchError("E_BACKEND_LOAD", problems.map((p) => `${label}: ${p}`).join("\n"), {
        hint: "export the classifier with optimum-cli export onnx --task text-classification",
      });
    }
    return new OnnxClassifier({
      info,
      session,
      TensorClass,
      tokenizer,
      settings,
      inputs,
      output: output as string,
    });
  },
};
