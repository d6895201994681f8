import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/result/canonical.ts";
import { runEvaluation } from "../../src/runner/run-eval.ts";
import { hasShared, repoRoot, sharedDir, sharedMissing, tempDir } from "../helpers.ts";

describe.skipIf(!hasShared)(
  `--judge replaces the suite's judge${hasShared ? "" : ` (skipped: ${sharedMissing})`}`,
  () => {
    let root: { dir: string; cleanup: () => void };
    beforeAll(() => {
      root = tempDir("bench-judge-override-");
    });
    afterAll(() => root.cleanup());

    const run = (suite: string, judge: string) =>
      runEvaluation({
        manifest: join(repoRoot, "models/karpathy/stories260K.yaml"),
        suite,
        limit: 1,
        threads: 1,
        gpu: false,
        judge,
        outDir: join(root.dir, "results"),
        env: { BENCH_HOME: join(root.dir, "home"), BENCH_MIRROR: sharedDir, BENCH_OFFLINE: "1" },
      });

    it("judges every judge task with the given manifest and records it", {
      timeout: 300_000,
    }, async () => {
      const judge = join(repoRoot, "models/bench/tiny-random-llama.yaml");
      const { document, samplesPath } = await run("creative-writing", judge);
      expect(document.config.judge).toEqual({
        manifestPath: expect.stringMatching(/models\/bench\/tiny-random-llama\.yaml$/),
        manifestSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      // Every model the tasks load, in its role, with its digests (the run key covers them).
      const digest = expect.stringMatching(/^[0-9a-f]{64}$/);
      expect(document.config.models).toEqual([
        {
          role: "judge",
          manifestPath: expect.stringMatching(/models\/bench\/tiny-random-llama\.yaml$/),
          id: "bench/tiny-random-llama",
          manifestSha256: digest,
          weightsSha256: digest,
          purpose: "pipeline-check",
          tasks: ["creative-writing", "creative-writing-pairwise"],
        },
        {
          role: "baseline",
          manifestPath: expect.stringMatching(/models\/bench\/tiny-random-llama\.yaml$/),
          id: "bench/tiny-random-llama",
          manifestSha256: digest,
          weightsSha256: digest,
          purpose: "pipeline-check",
          tasks: ["creative-writing-pairwise"],
        },
      ]);
      // A random-weight judge writes no rating either: each failure names the judge that wrote it.
      const errors = readFileSync(samplesPath, "utf8")
        .trim()
        .split("\n")
        .map((line) => (JSON.parse(line) as { error?: { code: string; message: string } }).error);
      expect(errors).toHaveLength(2);
      for (const error of errors) {
        expect(error?.code).toBe("E_JUDGE_PARSE");
        expect(error?.message).toContain("the judgment of bench/tiny-random-llama");
      }
    });

    it("fails the run before any item when a task's model cannot load, and resumes none", async () => {
      // The toxicity suite's classifier, copied with its weights replaced by bytes that are no
      // model (and pinned, so that only the load fails).
      const repo = join(root.dir, "repo");
      const models = join(repo, "models", "bench");
      mkdirSync(models, { recursive: true });
      cpSync(join(repoRoot, "suites", "toxicity"), join(repo, "suites", "toxicity"), {
        recursive: true,
      });
      const garbage = Buffer.from("not an onnx model");
      writeFileSync(join(models, "tiny-toxicity-classifier.onnx"), garbage);
      copyFileSync(
        join(repoRoot, "models/bench/tiny-toxicity-classifier.tokenizer.json"),
        join(models, "tiny-toxicity-classifier.tokenizer.json"),
      );
      const manifest = readFileSync(
        join(repoRoot, "models/bench/tiny-toxicity-classifier.yaml"),
        "utf8",
      ).replace(/sha256: 30a3fe[0-9a-f]+/, `sha256: ${sha256Hex(garbage)}`);
      writeFileSync(join(models, "tiny-toxicity-classifier.yaml"), manifest);
      const home = join(root.dir, "home-broken");
      await expect(
        runEvaluation({
          manifest: join(repoRoot, "models/karpathy/stories260K.yaml"),
          suite: join(repo, "suites", "toxicity"),
          limit: 1,
          threads: 1,
          gpu: false,
          outDir: join(root.dir, "results"),
          env: { BENCH_HOME: home, BENCH_MIRROR: sharedDir, BENCH_OFFLINE: "1" },
        }),
      ).rejects.toMatchObject({
        code: "E_BACKEND_LOAD",
        message: expect.stringContaining("onnxruntime cannot load the model"),
      });
      // Nothing was generated, so nothing was journaled.
      const journals = join(home, "journals");
      const lines = existsSync(journals)
        ? readdirSync(journals).flatMap((f) =>
            readFileSync(join(journals, f), "utf8").trim().split("\n").slice(1),
          )
        : [];
      expect(lines.filter((l) => l.includes('"status"'))).toEqual([]);
    });

    it("refuses --judge for a suite without judge tasks", async () => {
      await expect(
        run("smoke", join(repoRoot, "models/bench/tiny-random-llama.yaml")),
      ).rejects.toMatchObject({
        code: "E_USAGE",
        message: expect.stringMatching(/^--judge: .*smoke.* has no judge task$/),
      });
    });
  },
);
