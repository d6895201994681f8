import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
