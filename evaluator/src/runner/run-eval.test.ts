import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, tempDir, writeFiles } from "../../test/helpers.ts";
import { sha256Hex } from "../result/canonical.ts";
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

describe("failed items", () => {
  let root: { dir: string; cleanup: () => void };
  beforeAll(() => {
    root = tempDir("bench-failed-");
  });
  afterAll(() => root.cleanup());

  /** A suite of `count` questions, the ones at `long` too long for the model's 512-token context. */
  function suiteWith(long: number[], count = 4, truncate = "none"): string {
    const records = Array.from({ length: count }, (_, i) => ({
      question: long.includes(i) ? "why ".repeat(600) : `question ${i}`,
      choices: ["yes", "no"],
      answer: 0,
    }));
    const items = `${records.map((r) => JSON.stringify(r)).join("\n")}\n`;
    const folder = join(
      root.dir,
      `suite-${count}-${long.join("-") || "none"}-${truncate}`,
      "overflow",
    );
    writeFiles(folder, {
      "items.jsonl": items,
      "suite.yaml": [
        "schemaVersion: 1",
        "id: overflow",
        "name: Overflow",
        "version: 1.0.0",
        "category: smoke",
        "license: MIT",
        "tasks:",
        "  - id: yn",
        "    type: multiple_choice",
        `    dataset: {path: items.jsonl, sha256: ${sha256Hex(items)}, format: jsonl}`,
        '    prompt: "Q: {{ question }}\\nA:"',
        "    choices: choices",
        "    target: answer",
        "    metrics: [acc, acc_norm]",
        `    truncate: ${truncate}`,
        "",
      ].join("\n"),
    });
    return join(folder, "suite.yaml");
  }

  const run = (suite: string, name: string) =>
    runEvaluation({
      manifest,
      suite,
      threads: 1,
      gpu: false,
      outDir: join(root.dir, "out", name),
      env: { BENCH_HOME: join(root.dir, "home", name) },
    });

  it("records them with their error, counts them and leaves them out of every metric", async () => {
    const outcome = await run(suiteWith([1, 3]), "some");
    const lines = readFileSync(outcome.samplesPath, "utf8").trim().split("\n");
    const samples = lines.map((l) => JSON.parse(l));
    expect(samples.map((s) => [s.index, s.status, s.error?.code, s.scores === undefined])).toEqual([
      [0, "ok", undefined, false],
      [1, "error", "E_CONTEXT_OVERFLOW", true],
      [2, "ok", undefined, false],
      [3, "error", "E_CONTEXT_OVERFLOW", true],
    ]);
    const ok = samples.filter((s) => s.status === "ok");
    expect(outcome.document.scores).toEqual(
      ["acc", "acc_norm"].map((metric) => ({
        task: "yn",
        metric,
        value: (ok[0].scores[metric] + ok[1].scores[metric]) / 2,
        stderr: expect.any(Number),
        n: 2,
        errors: 2,
        higherIsBetter: true,
        aggregation: "mean",
        stderrMethod: "closed-form",
        ci95: { low: expect.any(Number), high: expect.any(Number) },
        bootstrap: expect.objectContaining({ generator: "mulberry32", iterations: 1000 }),
      })),
    );
  });

  it("refuses a task whose dataset holds no records, rather than reporting no score", async () => {
    const suite = suiteWith([], 0);
    await expect(run(suite, "empty")).rejects.toMatchObject({
      code: "E_DATASET",
      message: expect.stringMatching(
        /: \$\.tasks\[0\]\.dataset: .*items\.jsonl holds no records \(expected at least one\)$/,
      ),
    });
  });

  it("by default cuts a context that does not fit from the left, as lm-eval, and counts it", async () => {
    const outcome = await run(suiteWith([1, 3], 4, "left"), "truncated");
    const samples = readFileSync(outcome.samplesPath, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(samples.map((s) => [s.status, (s.truncatedTokens ?? 0) > 0])).toEqual([
      ["ok", false],
      ["ok", true],
      ["ok", false],
      ["ok", true],
    ]);
    expect(outcome.document.suite.tasks[0]?.itemsTruncated).toBe(2);
    expect(outcome.document.scores.map((s) => [s.n, s.errors])).toEqual([
      [4, 0],
      [4, 0],
    ]);
  });

  it("gives no value, and says so, when every item failed", async () => {
    const outcome = await run(suiteWith([0, 1, 2, 3]), "all");
    expect(
      outcome.document.scores.map((s) => [s.metric, s.value, s.stderr, s.n, s.errors]),
    ).toEqual([
      ["acc", null, null, 0, 4],
      ["acc_norm", null, null, 0, 4],
    ]);
  });
});
