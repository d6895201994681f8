import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasShared, repoRoot, sharedDir, sharedMissing } from "../../test/helpers.ts";
import { makeByteTokenizer } from "../onnx/byte-tokenizer.ts";
import { onnxBackend } from "./onnx.ts";
import { halfToFloat, OnnxCausalLm } from "./onnx-lm.ts";
import type { LoadedModel, StreamPart } from "./types.ts";

const onnxDir = join(sharedDir, "models", "onnx");
const llamaDir = join(onnxDir, "tiny-random-LlamaForCausalLM-fp16");

describe("fp16 bits", () => {
  it.each([
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [0x7c00, Number.POSITIVE_INFINITY],
  ])("%i is %d", (bits, value) => {
    expect(halfToFloat(bits)).toBe(value);
  });
});

describe.skipIf(!hasShared)(
  `the onnx backend's causal LMs${hasShared ? "" : ` (skipped: ${sharedMissing})`}`,
  () => {
    let gpt2: LoadedModel;
    let llama: LoadedModel;
    beforeAll(async () => {
      gpt2 = await onnxBackend.load({
        artifacts: {
          weights: join(onnxDir, "gpt2-tiny-decoder.onnx"),
          tokenizer: join(repoRoot, "models/bench/gpt2-tiny-decoder.tokenizer.json"),
        },
        options: { type: "onnx", task: "causal-lm", contextSize: 1024 },
        runtime: { threads: 1, gpu: false },
      });
      llama = await onnxBackend.load({
        artifacts: {
          weights: join(llamaDir, "model.onnx"),
          tokenizer: join(llamaDir, "tokenizer.json"),
          weightsData: [{ fileName: "model.onnx.data", path: join(llamaDir, "model.onnx.data") }],
        },
        options: { type: "onnx", task: "causal-lm", contextSize: 2048 },
        runtime: { threads: 1, gpu: false },
      });
    });
    afterAll(async () => {
      await gpt2?.dispose();
      await llama?.dispose();
    });

    // ../shared/models/SOURCE.json, gpt2-tiny-decoder verified.logprobs: ids [39, 68, 75, 75, 78]
    // ("Hello", one byte a token), log-probabilities of ids 3 and 4 given their prefix.
    it("gpt2 (fp32, no KV cache): the published log-probabilities of 'lo' after 'Hel'", async () => {
      const [score] = (await gpt2.loglikelihood?.({ context: "Hel", continuations: ["lo"] })) ?? [];
      expect(score?.tokenIds).toEqual([75, 78]);
      expect(score?.tokenLogprobs[0]).toBeCloseTo(-6.7216, 4);
      expect(score?.tokenLogprobs[1]).toBeCloseTo(-6.9865, 4);
    });

    // SOURCE.json, tiny-random-LlamaForCausalLM-fp16 verified.logprobs: one forward pass over
    // context + continuation, log-softmax of row i-1 at token i.
    it.each([
      [" girl", -10.3741],
      [" dog", -10.3781],
      [" table", -10.4344],
    ])("llama (fp16, KV cache): the published log-likelihood of %j", async (word, published) => {
      const [score] =
        (await llama.loglikelihood?.({
          context: "Once upon a time, there was a little",
          continuations: [word],
        })) ?? [];
      expect(score?.loglikelihood).toBeCloseTo(published, 3);
    });

    it("llama: generation through the KV cache gives the tokens a full recompute gives", async () => {
      const prompt = "Once upon a time";
      const parts: StreamPart[] = [];
      for await (const part of llama.stream?.({ prompt, maxTokens: 12, ignoreEos: true }) ?? [])
        parts.push(part);
      const text = parts.flatMap((p) => (p.type === "delta" ? [p.text] : [])).join("");
      expect(parts.at(-1)).toMatchObject({
        type: "finish",
        completionTokens: 12,
        finishReason: "length",
      });
      // The reference: the same greedy steps by hand, the whole sequence every time, no cache.
      const tokenizer = new (await import("@huggingface/tokenizers")).Tokenizer(
        JSON.parse(readFileSync(join(llamaDir, "tokenizer.json"), "utf8")),
        {},
      );
      const session = await ort.InferenceSession.create(
        readFileSync(join(llamaDir, "model.onnx")),
        {
          externalData: [
            { path: "model.onnx.data", data: readFileSync(join(llamaDir, "model.onnx.data")) },
          ],
        } as ort.InferenceSession.SessionOptions,
      );
      const ids = [...tokenizer.encode(prompt).ids];
      const first = ids.length;
      const i64 = (a: number[]) =>
        new ort.Tensor("int64", BigInt64Array.from(a, BigInt), [1, a.length]);
      const empty = () => {
        const t = new ort.Tensor("float16", new Uint16Array(0), [1, 1, 0, 16]);
        (t as unknown as { cpuData: Uint16Array }).cpuData = new Uint16Array(0);
        return t;
      };
      for (let step = 0; step < 12; step++) {
        const out = await session.run({
          input_ids: i64(ids),
          attention_mask: i64(ids.map(() => 1)),
          position_ids: i64(ids.map((_, i) => i)),
          "past_key_values.0.key": empty(),
          "past_key_values.0.value": empty(),
          "past_key_values.1.key": empty(),
          "past_key_values.1.value": empty(),
        });
        const data = out.logits?.data as unknown as ArrayLike<number>;
        const row = Float64Array.from({ length: 32000 }, (_, v) =>
          Number(data[(ids.length - 1) * 32000 + v]),
        );
        ids.push(OnnxCausalLm.pick(row, 0, 1, undefined));
      }
      await session.release();
      expect(text).toBe(tokenizer.decode(ids.slice(first), { skip_special_tokens: true }));
    });

    it("samples with a seed: the same seed, the same text", async () => {
      const request = {
        prompt: "Hello",
        maxTokens: 8,
        temperature: 1,
        topP: 0.9,
        seed: 7,
        ignoreEos: true,
      };
      const a = await llama.generate?.(request);
      const b = await llama.generate?.(request);
      const c = await llama.generate?.({ ...request, seed: 8 });
      expect(a?.text).toBe(b?.text);
      expect(a?.tokens).toBe(8);
      expect(c?.text).not.toBe(a?.text);
    });

    it("gpt2: streams every token up to maxTokens, and counts prompt tokens with its tokenizer", async () => {
      const result = await gpt2.generate?.({ prompt: "Hello", maxTokens: 16 });
      expect(result).toMatchObject({ tokens: 16, finishReason: "length" });
      expect(gpt2.countTokens?.("Hello")).toBe(5);
    });

    it("gpt2's tokenizer.json is the one the project generates, byte for byte", () => {
      expect(
        readFileSync(join(repoRoot, "models/bench/gpt2-tiny-decoder.tokenizer.json"), "utf8"),
      ).toBe(`${JSON.stringify(makeByteTokenizer(), null, 2)}\n`);
    });
  },
);
