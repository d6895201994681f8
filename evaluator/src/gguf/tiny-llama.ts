import { mulberry32 } from "../pure/random.ts";
import { encodeGguf, type GgufMetadataEntry, type GgufTensor } from "./write-gguf.ts";

export const TINY_LLAMA_CONFIG = {
  name: "bench tiny-random-llama (pipeline check, random weights)",
  seed: 0x7e57_11a3,
  contextLength: 512,
  embeddingLength: 32,
  blockCount: 2,
  headCount: 4,
  headCountKv: 2,
  feedForwardLength: 64,
  rmsEpsilon: 1e-5,
  weightAmplitude: 0.1,
} as const;

const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;
const SPACE = "\u2581";

const WORDS = [
  "the a an of and to in is it that this what which who when where why how answer question",
  "yes no not true false for on with as by at from be are was were has have had do does did",
  "can will would should could or but if then than there their they he she we you i his her",
  "its my our your one two three all some many more most other only also about into over",
  "after before first time year people way day man world number water word make say said",
  "know see use like just so up out because correct option choice best",
]
  .join(" ")
  .split(" ");

export interface TinyLlamaVocab {
  tokens: string[];
  scores: number[];
  tokenTypes: number[];
}

/**
 * SentencePiece-style vocab: specials, 256 byte tokens, single characters, then "▁"-prefixed
 * words. Each word comes with all its "▁"-prefixes so the bigram merger can reach the whole word.
 */
export function buildTinyLlamaVocab(): TinyLlamaVocab {
  const vocab: TinyLlamaVocab = { tokens: [], scores: [], tokenTypes: [] };
  const seen = new Set<string>();
  const add = (token: string, type: number, score: number) => {
    if (seen.has(token)) return;
    seen.add(token);
    vocab.tokens.push(token);
    vocab.scores.push(score);
    vocab.tokenTypes.push(type);
  };
  const addNormal = (token: string) => add(token, TOKEN_TYPE.normal, [...token].length - 10);

  add("<unk>", TOKEN_TYPE.unknown, 0);
  add("<s>", TOKEN_TYPE.control, 0);
  add("</s>", TOKEN_TYPE.control, 0);
  for (let byte = 0; byte < 256; byte++) {
    add(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`, TOKEN_TYPE.byte, 0);
  }
  addNormal(SPACE);
  for (let code = 0x21; code <= 0x7e; code++) addNormal(String.fromCharCode(code));
  for (let code = 0x61; code <= 0x7a; code++) addNormal(SPACE + String.fromCharCode(code));
  for (const word of WORDS) {
    for (let end = 1; end <= word.length; end++) addNormal(SPACE + word.slice(0, end));
  }
  return vocab;
}

export function tinyLlamaTensorShapes(nVocab: number): { name: string; dims: number[] }[] {
  const c = TINY_LLAMA_CONFIG;
  const nEmbd = c.embeddingLength;
  const nEmbdKv = (nEmbd / c.headCount) * c.headCountKv;
  const nFf = c.feedForwardLength;
  const shapes = [
    { name: "token_embd.weight", dims: [nEmbd, nVocab] },
    { name: "output_norm.weight", dims: [nEmbd] },
    { name: "output.weight", dims: [nEmbd, nVocab] },
  ];
  for (let layer = 0; layer < c.blockCount; layer++) {
    const blk = `blk.${layer}`;
    shapes.push(
      { name: `${blk}.attn_q.weight`, dims: [nEmbd, nEmbd] },
      { name: `${blk}.attn_k.weight`, dims: [nEmbd, nEmbdKv] },
      { name: `${blk}.attn_v.weight`, dims: [nEmbd, nEmbdKv] },
      { name: `${blk}.attn_output.weight`, dims: [nEmbd, nEmbd] },
      { name: `${blk}.attn_norm.weight`, dims: [nEmbd] },
      { name: `${blk}.ffn_gate.weight`, dims: [nEmbd, nFf] },
      { name: `${blk}.ffn_down.weight`, dims: [nFf, nEmbd] },
      { name: `${blk}.ffn_up.weight`, dims: [nEmbd, nFf] },
      { name: `${blk}.ffn_norm.weight`, dims: [nEmbd] },
    );
  }
  return shapes;
}

/**
 * Uniform weights in [-amplitude, amplitude), norms 1. The output rows of special and byte tokens
 * are zero, so their logit is exactly 0 while the maximum over the random normal-token logits is
 * positive: greedy decoding never stops on EOS and always emits valid UTF-8 text.
 */
function makeTensors(vocab: TinyLlamaVocab): GgufTensor[] {
  const next = mulberry32(TINY_LLAMA_CONFIG.seed);
  const amplitude = TINY_LLAMA_CONFIG.weightAmplitude;
  const nEmbd = TINY_LLAMA_CONFIG.embeddingLength;
  return tinyLlamaTensorShapes(vocab.tokens.length).map(({ name, dims }) => {
    const data = new Float32Array(dims.reduce((product, dim) => product * dim, 1));
    if (name.endsWith("_norm.weight")) {
      data.fill(1);
      return { name, dims, data };
    }
    for (let i = 0; i < data.length; i++) {
      data[i] = Math.fround((next() / 0x1_0000_0000) * 2 * amplitude - amplitude);
    }
    if (name === "output.weight") {
      vocab.tokenTypes.forEach((type, token) => {
        if (type !== TOKEN_TYPE.normal) data.fill(0, token * nEmbd, (token + 1) * nEmbd);
      });
    }
    return { name, dims, data };
  });
}

function makeMetadata(vocab: TinyLlamaVocab): GgufMetadataEntry[] {
  const c = TINY_LLAMA_CONFIG;
  return [
    { key: "general.architecture", type: "string", value: "llama" },
    { key: "general.name", type: "string", value: c.name },
    { key: "general.file_type", type: "uint32", value: 0 },
    { key: "general.alignment", type: "uint32", value: 32 },
    { key: "llama.context_length", type: "uint32", value: c.contextLength },
    { key: "llama.embedding_length", type: "uint32", value: c.embeddingLength },
    { key: "llama.block_count", type: "uint32", value: c.blockCount },
    { key: "llama.feed_forward_length", type: "uint32", value: c.feedForwardLength },
    { key: "llama.attention.head_count", type: "uint32", value: c.headCount },
    { key: "llama.attention.head_count_kv", type: "uint32", value: c.headCountKv },
    {
      key: "llama.rope.dimension_count",
      type: "uint32",
      value: c.embeddingLength / c.headCount,
    },
    { key: "llama.attention.layer_norm_rms_epsilon", type: "float32", value: c.rmsEpsilon },
    { key: "tokenizer.ggml.model", type: "string", value: "llama" },
    { key: "tokenizer.ggml.tokens", type: "string[]", value: vocab.tokens },
    { key: "tokenizer.ggml.scores", type: "float32[]", value: vocab.scores },
    { key: "tokenizer.ggml.token_type", type: "int32[]", value: vocab.tokenTypes },
    { key: "tokenizer.ggml.bos_token_id", type: "uint32", value: 1 },
    { key: "tokenizer.ggml.eos_token_id", type: "uint32", value: 2 },
    { key: "tokenizer.ggml.unknown_token_id", type: "uint32", value: 0 },
    { key: "tokenizer.ggml.add_bos_token", type: "bool", value: true },
    { key: "tokenizer.ggml.add_eos_token", type: "bool", value: false },
  ];
}

/** Builds the tiny random-weight llama GGUF; the bytes are identical on every run. */
export function makeTinyLlamaGguf(): Uint8Array {
  const vocab = buildTinyLlamaVocab();
  if (new Set(vocab.tokens).size !== vocab.tokens.length) {
    throw new Error("tiny llama vocab has duplicate tokens");
  }
  return encodeGguf({ metadata: makeMetadata(vocab), tensors: makeTensors(vocab) });
}

/**
 * A LoRA adapter for the tiny model, as llama.cpp reads adapters (llama-adapter.cpp): general.type
 * "adapter", adapter.type "lora", adapter.lora.alpha, and for each adapted weight W (ne [n_in,
 * n_out]) the pair `<W>.lora_a` (ne [n_in, rank]) and `<W>.lora_b` (ne [rank, n_out]). It adapts
 * every block's attn_q and ffn_up with rank 2 and seeded weights: a pipeline check that an adapter
 * reaches the model, not a fine-tune.
 */
export function makeTinyLoraGguf(): Uint8Array {
  const c = TINY_LLAMA_CONFIG;
  const next = mulberry32(0x10a4_0001);
  const rank = 2;
  const draw = (n: number) =>
    Float32Array.from({ length: n }, () => Math.fround((next() / 0x1_0000_0000) * 0.8 - 0.4));
  const tensors: GgufTensor[] = [];
  for (let b = 0; b < c.blockCount; b++) {
    for (const [weight, nIn, nOut] of [
      [`blk.${b}.attn_q.weight`, c.embeddingLength, c.embeddingLength],
      [`blk.${b}.ffn_up.weight`, c.embeddingLength, c.feedForwardLength],
    ] as const) {
      tensors.push({ name: `${weight}.lora_a`, dims: [nIn, rank], data: draw(nIn * rank) });
      tensors.push({ name: `${weight}.lora_b`, dims: [rank, nOut], data: draw(rank * nOut) });
    }
  }
  return encodeGguf({
    metadata: [
      { key: "general.architecture", type: "string", value: "llama" },
      { key: "general.type", type: "string", value: "adapter" },
      { key: "general.name", type: "string", value: "bench tiny LoRA (pipeline check)" },
      { key: "general.alignment", type: "uint32", value: 32 },
      { key: "adapter.type", type: "string", value: "lora" },
      { key: "adapter.lora.alpha", type: "float32", value: rank },
    ],
    tensors,
  });
}
