import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ggufRequest, hasShared, sharedMissing, stories260K } from "../../test/helpers.ts";
import { logitRow, logProb } from "../pure/logits.ts";
import { ggufBackend } from "./gguf.ts";
import {
  chunkEnds,
  koffiLayout,
  NativeScorer,
  nativeBinaries,
  nativeLayout,
} from "./llama-native.ts";
import type { LoadedModel } from "./types.ts";

const linuxX64 = process.platform === "linux" && process.arch === "x64";

describe.skipIf(!linuxX64)("llama.cpp C structs (linux-x64)", () => {
  it("koffi lays out the transcribed structs as gcc does for llama.h v0.5.0", () => {
    // nativeLayout holds sizeof/offsetof printed by a C program compiled against llama.h of the
    // llama.cpp source node-llama-cpp 3.22.1 ships (see the comment on nativeLayout).
    expect(koffiLayout()).toEqual(nativeLayout);
  });

  it("finds node-llama-cpp's prebuilt CPU libraries of the release the structs follow", () => {
    expect(nativeBinaries()).toMatchObject({ release: "v0.5.0" });
  });
});

describe("the chunks an item's context is decoded in before its choices", () => {
  it.each([
    // [context tokens, shared prefix tokens, chunk ends]
    [100, 0, []], // a short context goes whole with its choices
    [257, 0, [256]], // aligned chunks before the last context token
    [256, 0, []], // the last token (index 255) stays with the choices
    [600, 0, [256, 512]],
    [600, 300, [256, 300]], // a shared prefix ends a chunk where it ends
    [600, 512, [256, 512]],
    [600, 40, [40]],
    [300, 300, [256, 299]], // the last context token stays with the choices
  ])("%i tokens, prefix %i: %j", (n, prefix, ends) => {
    expect(chunkEnds(n, prefix)).toEqual(ends);
  });
});

describe("full-vocabulary log-softmax", () => {
  it("is logit - max - ln Σ exp(logit - max), stable for large logits", () => {
    const row = logitRow(Float32Array.from([1000, 1001, 999]));
    // softmax of (1, 2, 0): e^1 / (e^0 + e^1 + e^2)
    const z = Math.log(Math.exp(0) + Math.exp(1) + Math.exp(2));
    expect(logProb(row, 0).logprob).toBeCloseTo(1 - z, 12);
    expect(logProb(row, 1)).toEqual({ logprob: expect.closeTo(2 - z, 12), greedy: true });
    expect(logProb(row, 2).greedy).toBe(false);
    const probabilities = [0, 1, 2].map((t) => Math.exp(logProb(row, t).logprob));
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});

describe.skipIf(!hasShared || !linuxX64)(
  `native scoring on stories260K${hasShared ? "" : ` (skipped: ${sharedMissing})`}`,
  () => {
    let native: LoadedModel;
    let binding: LoadedModel;
    beforeAll(async () => {
      native = await ggufBackend.load(ggufRequest(stories260K, 2048));
      // gpu "auto" on a machine without a GPU: node-llama-cpp's binding scores on the CPU.
      binding = await ggufBackend.load(ggufRequest(stories260K, 2048, "auto"));
    });
    afterAll(async () => {
      await native?.dispose();
      await binding?.dispose();
    });

    it("names its engine in the environment", () => {
      expect(native.info.versions.scoring).toMatch(/llama\.cpp C API/);
      expect(binding.info.versions.scoring).toMatch(/node-llama-cpp/);
    });

    it("agrees with node-llama-cpp's binding on every token of long continuations", async () => {
      const request = {
        context: "Once upon a time, there was a little girl named Lily. She loved to",
        continuations: [
          " play outside in the park with her friends.",
          " eat apples.",
          " sing",
          " read big books about dragons and castles every night before bed.",
        ],
      };
      const a = (await native.loglikelihood?.(request)) ?? [];
      const b = (await binding.loglikelihood?.(request)) ?? [];
      expect(a.map((s) => s.tokenIds)).toEqual(b.map((s) => s.tokenIds));
      for (const [i, score] of a.entries()) {
        // Two llama.cpp evaluation orders (one batch with a unified KV cache and flash attention
        // as llama-perplexity runs it, against one decode per choice): float16 KV and attention
        // round differently in the last digits.
        for (const [t, lp] of score.tokenLogprobs.entries())
          expect(Math.abs(lp - (b[i]?.tokenLogprobs[t] as number))).toBeLessThan(
            5e-3 + 1e-3 * Math.abs(lp),
          );
        expect(score.greedy).toBe(b[i]?.greedy);
      }
    });

    it("scores more choices than one batch holds, in order, as it scores each alone", async () => {
      // 40 choices: more than the 32 sequences of one decode.
      const words = Array.from({ length: 40 }, (_, i) => ` ${"abcdefghij"[i % 10]}${"xyz"[i % 3]}`);
      const context = "The little dog ran to the";
      const together = (await native.loglikelihood?.({ context, continuations: words })) ?? [];
      expect(together).toHaveLength(40);
      for (const i of [0, 31, 32, 39]) {
        const alone = await native.loglikelihood?.({
          context,
          continuations: [words[i] as string],
        });
        expect(together[i]?.tokenIds).toEqual(alone?.[0]?.tokenIds);
        expect(
          Math.abs((together[i]?.loglikelihood as number) - (alone?.[0]?.loglikelihood as number)),
        ).toBeLessThan(1e-3);
      }
    });

    it("keeps a shared few-shot prefix for the next item, and scores exactly as a fresh model", async () => {
      const shared =
        "Once upon a time, there was a little girl named Lily. She loved to play. ".repeat(5);
      const item = (q: string) => ({
        context: `${shared}${q}`,
        continuations: [" girl", " dog", " ball"],
        sharedPrefix: shared,
      });
      const fresh = await ggufBackend.load(ggufRequest(stories260K, 2048));
      try {
        await native.loglikelihood?.(item("One day, she saw a"));
        const before = native.stats().tokensEvaluated;
        const second = await native.loglikelihood?.(item("Then she met a little"));
        const evaluated = native.stats().tokensEvaluated - before;
        const alone = await fresh.loglikelihood?.(item("Then she met a little"));
        // Bit for bit: the prefix is decoded in the same chunks either way.
        expect(second?.map((s) => s.loglikelihood)).toEqual(alone?.map((s) => s.loglikelihood));
        // ...and only the question was evaluated again (the prefix is ~370 tokens here).
        expect(evaluated).toBeLessThan(fresh.stats().tokensEvaluated / 3);
      } finally {
        await fresh.dispose();
      }
    });

    it("fails a file llama.cpp cannot load with one line naming it and llama.cpp's reason", async () => {
      const bad = join(tmpdir(), `not-a-model-${process.pid}.gguf`);
      writeFileSync(bad, "GGUF but not really");
      const dir = (nativeBinaries() as { dir: string }).dir;
      await expect(
        NativeScorer.open(dir, { weightsPath: bad, threads: 1, contextSize: 256 }),
      ).rejects.toMatchObject({
        code: "E_BACKEND_LOAD",
        message: expect.stringMatching(
          /^gguf: llama\.cpp could not load .*not-a-model.*: gguf_init_from_reader: this GGUF file is version \d+/,
        ),
      });
    });
  },
);
