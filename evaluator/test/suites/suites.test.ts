import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mmluSuiteYaml } from "../../../suites/mmlu/generate.ts";
import { main } from "../../src/cli/main.ts";
import { loadSuite } from "../../src/config/load.ts";
import { runEvaluation } from "../../src/runner/run-eval.ts";
import { captureIo, hasShared, repoRoot, sharedDir, sharedMissing, tempDir } from "../helpers.ts";

const suitesDir = join(repoRoot, "suites");
const suiteIds = readdirSync(suitesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(suitesDir, entry.name, "suite.yaml")))
  .map((entry) => entry.name)
  .sort();

const manifest = join(repoRoot, "models/karpathy/stories260K.yaml");
const limit = 3;

/**
 * Items whose prompt cannot fit stories260K's 2,048-token context (its training context, the
 * most the backend allows): the first items of MMLU's long-text subjects with their five examples.
 * Their context is cut from the left, as lm-eval does, and the result counts them; every item of
 * every suite is scored.
 */
const truncated: Record<string, Record<string, number>> = {
  mmlu: {
    college_computer_science: 3,
    high_school_computer_science: 2,
    high_school_european_history: 3,
    high_school_us_history: 3,
    high_school_world_history: 3,
    professional_law: 3,
    professional_medicine: 3,
    security_studies: 3,
  },
  // The same MMLU tasks, included by reference.
  legal: { professional_law: 3 },
  medical: { professional_medicine: 3 },
  // Generation prompts cut from the left to leave room for the answer (two evidence texts of
  // 2,000+ characters; stories260K's vocabulary makes a token of about a character).
  financebench: { financebench_evidence: 2 },
};

/** Suites whose declared judge is a pipeline check (stories260K cannot write a rating). */
const judgedByPipelineCheck = ["creative-writing"];

describe("every suite under suites/", () => {
  it("is found", () => {
    expect(suiteIds).toContain("smoke");
    expect(suiteIds.length).toBeGreaterThan(1);
  });

  it.each(suiteIds)("%s declares a category and a quick subset", (id) => {
    const suite = loadSuite(join(suitesDir, id)).data;
    expect([typeof suite.category, suite.quick?.items, suite.quick?.seed]).toEqual([
      "string",
      expect.any(Number),
      expect.any(Number),
    ]);
  });

  it("passes bench validate", async () => {
    const capture = captureIo();
    const code = await main(["validate", "--json", suitesDir], capture.io);
    const reports = JSON.parse(capture.stdout()) as { file: string; ok: boolean }[];
    expect({ code, stderr: capture.stderr() }).toEqual({ code: 0, stderr: "" });
    expect(reports.filter((report) => !report.ok)).toEqual([]);
    expect(reports.map((report) => report.file).sort()).toEqual(
      suiteIds.map((id) => `suites/${id}/suite.yaml`),
    );
  });
});

const hasDatasets = existsSync(join(sharedDir, "datasets"));
const skipReason = hasShared ? `${join(sharedDir, "datasets")} is missing` : sharedMissing;

const mmluSource = join(sharedDir, "datasets", "mmlu", "SOURCE.json");
describe.skipIf(!existsSync(mmluSource))(
  `suites/mmlu/suite.yaml${existsSync(mmluSource) ? "" : ` (skipped: ${mmluSource} is missing)`}`,
  () => {
    it("is what suites/mmlu/generate.ts writes", () => {
      const source = JSON.parse(readFileSync(mmluSource, "utf8"));
      expect(mmluSuiteYaml(source)).toBe(
        readFileSync(join(suitesDir, "mmlu", "suite.yaml"), "utf8"),
      );
    });
  },
);

describe.skipIf(!hasShared || !hasDatasets)(
  `every suite on stories260K, ${limit} items a task${hasShared && hasDatasets ? "" : ` (skipped: ${skipReason})`}`,
  () => {
    let root: { dir: string; cleanup: () => void };
    beforeAll(() => {
      root = tempDir("bench-suites-");
    });
    afterAll(() => root.cleanup());

    // MMLU's 57 five-shot tasks take 30 to 40 s on one thread; the other suites 1 to 3 s each.
    it.each(suiteIds)(
      "%s: a score per task and metric, every item scored",
      { timeout: 300_000 },
      async (id) => {
        const suite = loadSuite(join(suitesDir, id)).data;
        const { document, samplesPath } = await runEvaluation({
          manifest,
          suite: id,
          limit,
          threads: 1,
          gpu: false,
          outDir: join(root.dir, "results"),
          env: {
            BENCH_HOME: join(root.dir, "home"),
            BENCH_MIRROR: sharedDir,
            BENCH_OFFLINE: "1",
          },
        });

        // A judged suite whose judge is stories260K (a pipeline check) gets no rating it can
        // parse: every item fails with E_JUDGE_PARSE, counted, and the score has no value.
        const unjudged = judgedByPipelineCheck.includes(id);
        const expected = suite.tasks.flatMap((task) =>
          task.metrics.map((metric) => ({
            task: task.id,
            metric: metric.id,
            n: unjudged ? 0 : limit,
            errors: unjudged ? limit : 0,
          })),
        );
        // Group rows (they carry `tasks`) lead the result; the suite's groups, in order.
        const groups = document.scores.filter((row) => row.tasks !== undefined);
        expect([...new Set(groups.map((row) => row.task))]).toEqual(
          (suite.groups ?? []).map((group) => group.id),
        );
        const scores = document.scores.slice(groups.length).map(({ task, metric, n, errors }) => ({
          task,
          metric,
          n,
          errors,
        }));
        expect(scores).toEqual(expected);
        for (const score of document.scores)
          expect(unjudged ? score.value === null : Number.isFinite(score.value)).toBe(true);
        expect(
          Object.fromEntries(
            document.suite.tasks.flatMap((t) =>
              t.itemsTruncated ? [[t.id, t.itemsTruncated] as const] : [],
            ),
          ),
        ).toEqual(truncated[id] ?? {});
        const failed = readFileSync(samplesPath, "utf8")
          .split("\n")
          .filter((line) => line.trim() !== "")
          .map((line) => JSON.parse(line) as { status: string; error?: { code: string } })
          .filter((sample) => sample.status !== "ok");
        // Speed runs: every request of each run (capped by --limit) succeeded, with its figures.
        const runs = suite.perf ?? [];
        const loads = document.performance.loads ?? [];
        expect([...new Set(loads.map((l) => l.id))]).toEqual(runs.map((r) => r.id));
        for (const load of loads) {
          expect(load.requests).toMatchObject({ sent: limit, succeeded: limit, failed: 0 });
          expect(load.latency.ttft_ms?.count).toBe(limit);
          expect(load.throughput.output_throughput?.value).toBeGreaterThan(0);
        }
        expect(failed.map((sample) => sample.error?.code)).toEqual(
          unjudged ? Array(limit * suite.tasks.length).fill("E_JUDGE_PARSE") : [],
        );
      },
    );
  },
);
