import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, tempDir } from "../../test/helpers.ts";
import type { Progress } from "./progress.ts";
import { runEvaluation } from "./run-eval.ts";

const manifest = join(repoRoot, "models/bench/tiny-random-llama.yaml");

describe("an interrupted run", () => {
  let root: { dir: string; cleanup: () => void };
  beforeAll(() => {
    root = tempDir("bench-resume-");
  });
  afterAll(() => root.cleanup());

  it("resumes from its journal and scores as an uninterrupted run", async () => {
    const env = { BENCH_HOME: join(root.dir, "home") };
    const controller = new AbortController();
    const stopAfter5: Progress = {
      start() {},
      tick(done) {
        if (done === 5) controller.abort(new Error("interrupted by the test"));
      },
      finish() {},
    };
    // parallel 3: items in flight when the run stops still finish and are journaled
    const options = {
      manifest,
      suite: "smoke",
      limit: 20,
      threads: 1,
      parallel: 3,
      gpu: false as const,
      env,
    };
    await expect(
      runEvaluation({
        ...options,
        outDir: join(root.dir, "a"),
        progress: stopAfter5,
        signal: controller.signal,
      }),
    ).rejects.toThrow("interrupted by the test");
    const journals = readdirSync(join(env.BENCH_HOME, "journals"));
    expect(journals).toHaveLength(1);
    const journal = join(env.BENCH_HOME, "journals", journals[0] as string);
    // items already in flight when the run stopped finish and are journaled too
    // the first line is the journal's header, every other line one finished item
    const journaled = readFileSync(journal, "utf8").trim().split("\n").length - 1;
    expect(journaled).toBeGreaterThanOrEqual(5);
    expect(journaled).toBeLessThan(20);

    const resumed = await runEvaluation({ ...options, outDir: join(root.dir, "a") });
    expect(resumed.resumedItems).toBe(journaled);
    expect(resumed.document.run.resumed).toBe(true);
    expect(resumed.document.performance.measured.itemsEvaluated).toBe(20 - journaled);
    expect(existsSync(journal)).toBe(false);

    const fresh = await runEvaluation({
      ...options,
      outDir: join(root.dir, "b"),
      env: { BENCH_HOME: join(root.dir, "home2") },
    });
    expect(fresh.resumedItems).toBe(0);
    expect(resumed.document.scores).toEqual(fresh.document.scores);
  });
});
