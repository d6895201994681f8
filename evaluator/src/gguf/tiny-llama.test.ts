import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  getLlama,
  type Llama,
  LlamaCompletion,
  type LlamaContext,
  LlamaLogLevel,
  type LlamaModel,
  readGgufFileInfo,
  type Token,
} from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ggufBackend } from "../backends/gguf.ts";
import {
  buildTinyLlamaVocab,
  makeTinyLlamaGguf,
  makeTinyLoraGguf,
  tinyLlamaTensorShapes,
} from "./tiny-llama.ts";
import { encodeGguf } from "./write-gguf.ts";

const TINY_LLAMA_SHA256 = "ad57abc9f40b44e28e6d25f019f106176f1dd552eaff3e27447b24b6d8c29f91";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("encodeGguf", () => {
  it("lays out header, metadata, tensor info and aligned data", () => {
    const bytes = encodeGguf({
      metadata: [{ key: "general.name", type: "string", value: "x" }],
      tensors: [{ name: "t", dims: [3], data: new Float32Array([1, 2, 3]) }],
    });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const text = (start: number, end: number) => new TextDecoder().decode(bytes.slice(start, end));

    expect(text(0, 4)).toBe("GGUF");
    expect(view.getUint32(4, true)).toBe(3);
    expect(view.getBigUint64(8, true)).toBe(1n);
    expect(view.getBigUint64(16, true)).toBe(1n);
    expect(view.getBigUint64(24, true)).toBe(12n);
    expect(text(32, 44)).toBe("general.name");
    expect(view.getUint32(44, true)).toBe(8);
    expect(view.getBigUint64(48, true)).toBe(1n);
    expect(text(56, 57)).toBe("x");
    expect(view.getBigUint64(57, true)).toBe(1n);
    expect(text(65, 66)).toBe("t");
    expect(view.getUint32(66, true)).toBe(1);
    expect(view.getBigUint64(70, true)).toBe(3n);
    expect(view.getUint32(78, true)).toBe(0);
    expect(view.getBigUint64(82, true)).toBe(0n);
    expect([...bytes.slice(90, 96)]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([96, 100, 104].map((offset) => view.getFloat32(offset, true))).toEqual([1, 2, 3]);
    expect(bytes.length).toBe(128);
  });

  it("aligns every tensor offset to 32 bytes", () => {
    const bytes = encodeGguf({
      metadata: [],
      tensors: [
        { name: "a", dims: [3], data: new Float32Array(3) },
        { name: "b", dims: [2, 2], data: new Float32Array([5, 6, 7, 8]) },
      ],
    });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const infoB = 24 + (8 + 1 + 4 + 8 + 4 + 8);
    expect(view.getBigUint64(infoB + 8 + 1 + 4 + 16 + 4, true)).toBe(32n);
    const dataStart = 128;
    expect(view.getFloat32(dataStart + 32, true)).toBe(5);
    expect(bytes.length).toBe(dataStart + 64);
  });

  it("rejects data that does not match the dims", () => {
    expect(() =>
      encodeGguf({
        metadata: [],
        tensors: [{ name: "t", dims: [2, 2], data: new Float32Array(3) }],
      }),
    ).toThrow(RangeError);
  });
});

describe("makeTinyLlamaGguf", () => {
  const vocab = buildTinyLlamaVocab();
  const bytes = makeTinyLlamaGguf();
  let dir = "";
  let modelPath = "";
  let llama: Llama | undefined;
  let model: LlamaModel | undefined;
  let context: LlamaContext | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tiny-llama-"));
    modelPath = join(dir, "tiny-random-llama.gguf");
    await writeFile(modelPath, bytes);
  });

  afterAll(async () => {
    await context?.dispose();
    await model?.dispose();
    await llama?.dispose();
    if (dir !== "") await rm(dir, { recursive: true, force: true });
  });

  it("is byte-identical on every run and matches the pinned sha256", () => {
    expect(makeTinyLlamaGguf()).toEqual(bytes);
    expect(sha256(bytes)).toBe(TINY_LLAMA_SHA256);
    expect(bytes.length).toBeLessThan(256 * 1024);
  });

  it("has a vocab without duplicate token strings", () => {
    expect(new Set(vocab.tokens).size).toBe(vocab.tokens.length);
    expect(vocab.tokens.slice(0, 4)).toEqual(["<unk>", "<s>", "</s>", "<0x00>"]);
    expect(vocab.tokens[258]).toBe("<0xFF>");
  });

  it("is read by node-llama-cpp's GGUF parser", async () => {
    const info = await readGgufFileInfo(modelPath, { readTensorInfo: true });
    const shapes = tinyLlamaTensorShapes(vocab.tokens.length);
    expect(info.version).toBe(3);
    expect(info.metadata.general.architecture).toBe("llama");
    expect(Number(info.tensorCount)).toBe(shapes.length);
    expect(shapes.length).toBe(3 + 2 * 9);
    expect(info.metadata.tokenizer.ggml.tokens.length).toBe(vocab.tokens.length);
    expect(
      info.fullTensorInfo?.map((tensor) => [tensor.name, tensor.dimensions.map(Number)]),
    ).toEqual(shapes.map((shape) => [shape.name, shape.dims]));
  });

  it("loads, tokenizes and evaluates in node-llama-cpp", async () => {
    llama = await getLlama({
      gpu: false,
      build: "never",
      maxThreads: 1,
      logLevel: LlamaLogLevel.error,
    });
    model = await llama.loadModel({ modelPath });
    const text = "the answer is";
    const tokens = model.tokenize(text);
    expect(model.detokenize(tokens)).toBe(text);
    expect(tokens.map((token) => vocab.tokens[token])).toEqual(["▁the", "▁answer", "▁is"]);

    context = await model.createContext({ contextSize: 256, threads: 1, sequences: 2 });
    const last = tokens.at(-1) as Token;
    const results = await context
      .getSequence()
      .controlledEvaluate([
        1 as Token,
        ...tokens.slice(0, -1),
        [last, { generateNext: { probabilities: true } }],
      ]);
    const probabilities = results.at(-1)?.next.probabilities;
    expect(probabilities?.size).toBe(vocab.tokens.length);
    const values = [...(probabilities?.values() ?? [])];
    expect(values.every(Number.isFinite)).toBe(true);
    expect(Math.abs(values.reduce((sum, value) => sum + value, 0) - 1)).toBeLessThan(1e-3);
  });

  it("generates greedily up to maxTokens without stopping on EOS", async () => {
    if (context === undefined) throw new Error("context was not created");
    const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
    const { response, metadata } = await completion.generateCompletionWithMeta("the answer", {
      maxTokens: 16,
      temperature: 0,
    });
    expect(metadata.stopReason).toBe("maxTokens");
    expect(response.length).toBeGreaterThan(0);
    expect(response).not.toContain("\uFFFD");
  });
});

describe("makeTinyLoraGguf: a LoRA adapter that llama.cpp applies", () => {
  const repo = join(import.meta.dirname, "..", "..", "..");
  const base = join(repo, "models/bench/tiny-random-llama.gguf");
  const adapter = join(repo, "models/bench/tiny-random-llama-lora.gguf");
  const load = (scale?: number) =>
    ggufBackend.load({
      artifacts: {
        weights: base,
        ...(scale === undefined ? {} : { lora: [{ path: adapter, scale }] }),
      },
      options: { type: "gguf", contextSize: 256 },
      runtime: { threads: 1, gpu: false },
    });

  it("is generated byte for byte as committed, with the sha256 its manifest pins", async () => {
    const bytes = makeTinyLoraGguf();
    expect(new Uint8Array(await readFile(adapter))).toEqual(bytes);
    const manifest = await readFile(join(repo, "models/bench/tiny-random-llama-lora.yaml"), "utf8");
    expect(manifest).toContain(`sha256: ${createHash("sha256").update(bytes).digest("hex")}`);
  });

  it("changes what the model generates and scores at scale 1, and nothing at scale 0", async () => {
    const request = { prompt: "the answer is", maxTokens: 8 };
    const item = { context: "the answer is", continuations: [" yes", " no"] };
    const [plain, off, on] = await Promise.all([load(), load(0), load(1)]);
    try {
      const texts = [];
      const scores = [];
      for (const model of [plain, off, on]) {
        texts.push((await model.generate?.(request))?.text);
        scores.push((await model.loglikelihood?.(item))?.map((s) => s.loglikelihood));
      }
      expect(texts[1]).toBe(texts[0]);
      expect(texts[2]).not.toBe(texts[0]);
      expect(scores[2]).not.toEqual(scores[1]);
      expect(on.info.versions.scoring).toMatch(/LoRA adapters applied/);
    } finally {
      await Promise.all([plain.dispose(), off.dispose(), on.dispose()]);
    }
  });
});
