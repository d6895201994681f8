import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { bradleyTerry } from "@bench/evaluator/pure";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSigningKey, resultDocument, writeSignedResult, writeTrustList } from "./fixtures.ts";

const siteDir = resolve(import.meta.dirname, "..");
const binDir = resolve(siteDir, "../node_modules/.bin");

/** Runs `astro build` as a child process, as CI does; returns its exit code and all its output. */
function astroBuild(
  resultsDir: string,
  outDir: string,
  options: { untrusted?: "hide" } = {},
): Promise<{ code: number; output: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // The astro script runs `env node`: the pinned Node from node_modules/.bin, as under npm.
    PATH: `${binDir}${delimiter}${process.env.PATH ?? ""}`,
    ASTRO_TELEMETRY_DISABLED: "1",
    BENCH_RESULTS_DIR: resultsDir,
    BENCH_SITE_OUT: outDir,
    BENCH_SITE_CACHE: `${outDir}-cache`,
  };
  delete env.BENCH_SITE_UNTRUSTED;
  if (options.untrusted) env.BENCH_SITE_UNTRUSTED = options.untrusted;
  return new Promise((done, fail) => {
    const child = spawn(join(binDir, "astro"), ["build"], {
      cwd: siteDir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? 1, output }));
  });
}

const acc = {
  task: "arc-easy",
  metric: "acc",
  value: 0.625 as number | null,
  stderr: 0.07752 as number | null,
  n: 40,
  errors: 0,
  higherIsBetter: true,
  aggregation: "mean" as const,
};

/** The text of `html` from `start` up to and including the first `end` after it. */
function section(html: string, start: string, end: string): string {
  const from = html.indexOf(start);
  expect(from, `${start} is missing`).toBeGreaterThanOrEqual(0);
  return html.slice(from, html.indexOf(end, from) + end.length);
}

interface ApiResult {
  runId: string;
  signer: { status: string };
  scores: { value: number | null }[];
}
interface ApiModel {
  id: string;
  rank: number | null;
  latest: Record<string, ApiResult>;
  earlier: ApiResult[];
  untrusted: ApiResult[];
}

/** Each model of the JSON API with its rank and, per run, id, trust and headline value. */
function summary(api: { models: ApiModel[] }) {
  const run = (result: ApiResult) => [result.runId, result.signer.status, result.scores[0]?.value];
  return api.models.map((model) => ({
    id: model.id,
    rank: model.rank,
    latest: Object.values(model.latest).map(run),
    earlier: model.earlier.map(run),
    untrusted: model.untrusted.map(run),
  }));
}

describe("astro build", () => {
  let root: string;
  let resultsDir: string;
  let evaluatedFile: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "bench-site-"));
    resultsDir = join(root, "results");
    const localKey = createSigningKey("local");
    const ciKey = createSigningKey("ci");
    writeTrustList(resultsDir, ciKey, "bench CI");
    evaluatedFile = writeSignedResult(resultsDir, resultDocument(), ciKey);
    // The attack: a newer self-signed run of the same model and suite, with a higher score.
    writeSignedResult(
      resultsDir,
      resultDocument({
        runId: "run-2",
        finishedAt: "2026-06-01T12:00:00.000Z",
        scores: [{ ...acc, value: 0.95 }],
      }),
      localKey,
    );
    writeSignedResult(
      resultsDir,
      resultDocument({
        modelId: "test-org/pipeline-model",
        modelName: "Pipeline Check Model",
        purpose: "pipeline-check",
        scores: [acc, { ...acc, task: "arc-hard", value: null, stderr: null, n: 0, errors: 40 }],
      }),
      ciKey,
    );
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  /** Two trusted models judged against one baseline, and an untrusted one that must not count. */
  const judgeRef = { id: "x/judge", manifestSha256: "1".repeat(64), weightsSha256: "2".repeat(64) };
  const baselineRef = {
    id: "bench/tiny-random-llama",
    manifestSha256: "3".repeat(64),
    weightsSha256: "4".repeat(64),
  };
  const winRate = { ...acc, task: "pairwise", metric: "win_rate", value: 0.5, n: 20 };
  const pairwiseResult = (model: string, wins: number, ties: number, losses: number) =>
    resultDocument({
      modelId: `test-org/${model}`,
      modelName: model,
      suiteId: "creative-writing",
      suiteName: "Creative writing",
      scores: [winRate],
      comparisons: [
        { task: "pairwise", opponent: baselineRef, judge: judgeRef, wins, ties, losses },
      ],
    });
  /** The pairwise items that those counts summarise, as the judge task records them. */
  const verdicts = (wins: number, ties: number, losses: number) =>
    (["win", "tie", "loss"] as const).flatMap((combined, k) =>
      Array.from({ length: [wins, ties, losses][k] as number }, (_, index) => ({
        task: "pairwise",
        index,
        status: "ok",
        verdicts: { first: combined, second: combined, combined },
        judge: { ...judgeRef, purpose: "evaluation" },
        baseline: { answer: "…", model: { ...baselineRef, purpose: "pipeline-check" } },
      })),
    );
  const writePairwise = (
    dir: string,
    key: ReturnType<typeof createSigningKey>,
    model: string,
    counts: [number, number, number],
    claimed = counts,
  ) => writeSignedResult(dir, pairwiseResult(model, ...claimed), key, verdicts(...counts));

  it("builds the leaderboard, the model pages and the API from verified results", async () => {
    const outDir = join(root, "out");
    const { code, output } = await astroBuild(resultsDir, outDir);
    expect(code, output).toBe(0);

    const index = readFileSync(join(outDir, "index.html"), "utf8");
    expect(index).toContain('<html lang="en"');
    expect(index).toContain("Tiny Test Model");
    expect(index).toContain("62.5% ± 7.8");
    expect(index).toContain("untrusted local key");
    expect(index).toContain("trusted: bench CI");
    expect(index).toContain("pipeline check — scores mean nothing");
    expect(index).toContain('href="/models/test-org/tiny-model/"');

    const modelPage = readFileSync(join(outDir, "models/test-org/tiny-model/index.html"), "utf8");
    expect(modelPage).toContain("results/test-org/tiny-model/arc-easy/run-1.json");
    expect(modelPage).toContain("no GPU was used");

    const api = JSON.parse(readFileSync(join(outDir, "api/results.json"), "utf8"));
    expect(api.models.map((model: { id: string }) => model.id)).toEqual([
      "test-org/tiny-model",
      "test-org/pipeline-model",
    ]);
    expect(api.ratings).toEqual([]);
    expect(index).not.toContain('<section id="ratings"');

    // The headline and the rank come from the trusted run, not the newer self-signed one.
    const ranked = section(index, '<table id="leaderboard">', "</table>");
    expect(ranked).toContain("62.5% ± 7.8");
    expect(ranked).not.toContain("95.0%");
    expect(ranked).not.toContain("untrusted");
    const apart = section(index, '<section id="untrusted"', "</section>");
    expect(apart).toContain("Untrusted results (not ranked)");
    expect(apart).toContain("95.0%");
    expect(apart).toContain("results/test-org/tiny-model/arc-easy/run-2.json");
    expect(apart).toContain("untrusted local key");
    expect(modelPage).toContain("Rank 1 on the leaderboard.");
    expect(section(modelPage, '<section id="untrusted"', "</section>")).toContain(
      "results/test-org/tiny-model/arc-easy/run-2.json",
    );
    expect(modelPage.split('<section id="untrusted"')[0]).not.toContain("run-2");

    expect(api.untrustedResults).toBe("show");
    expect(summary(api)).toEqual([
      {
        id: "test-org/tiny-model",
        rank: 1,
        latest: [["run-1", "trusted", 0.625]],
        earlier: [],
        untrusted: [["run-2", "untrusted", 0.95]],
      },
      {
        id: "test-org/pipeline-model",
        rank: 2,
        latest: [["run-1", "trusted", 0.625]],
        earlier: [],
        untrusted: [],
      },
    ]);

    // A task that no item could score shows a dash that says so.
    const pipelinePage = readFileSync(
      join(outDir, "models/test-org/pipeline-model/index.html"),
      "utf8",
    );
    expect(pipelinePage).toContain(
      '<span title="no item could be scored (every item of the task failed)">—</span>',
    );
  }, 120_000);

  it("rates pairwise results with Bradley–Terry, from trusted results only", async () => {
    const dir = join(root, "pairwise-results");
    const ciKey = createSigningKey("ci");
    writeTrustList(dir, ciKey, "bench CI");
    writePairwise(dir, ciKey, "strong", [14, 4, 2]);
    writePairwise(dir, ciKey, "weak", [3, 5, 12]);
    // A self-signed clean sweep must not move anything.
    writePairwise(dir, createSigningKey("local"), "cheat", [20, 0, 0]);
    const outDir = join(root, "out-pairwise");
    const { code, output } = await astroBuild(dir, outDir);
    expect(code, output).toBe(0);
    const index = readFileSync(join(outDir, "index.html"), "utf8");
    const api = JSON.parse(readFileSync(join(outDir, "api/results.json"), "utf8"));

    // Bradley–Terry over the trusted pairwise results: the untrusted sweep is not counted.
    const expected = bradleyTerry(
      [
        { a: "test-org/strong", b: baselineRef.id, winsA: 14, ties: 4, winsB: 2 },
        { a: "test-org/weak", b: baselineRef.id, winsA: 3, ties: 5, winsB: 12 },
      ],
      { prior: 1 },
    ).ratings;
    expect(api.ratings).toHaveLength(1);
    expect(api.ratings[0]).toMatchObject({
      task: "pairwise",
      judge: judgeRef,
      comparisons: 40,
      results: 2,
    });
    expect(
      api.ratings[0].players.map((p: { id: string; rating: number }) => [p.id, p.rating]),
    ).toEqual(expected.map((r) => [r.player, r.rating]));
    expect(expected.map((r) => r.player)).toEqual([
      "test-org/strong",
      baselineRef.id,
      "test-org/weak",
    ]);
    const ratings = section(index, '<section id="ratings"', "</section>");
    expect(ratings).toContain("Pairwise ratings (Bradley–Terry)");
    expect(ratings).toContain('href="/models/test-org/strong/"');
    expect(ratings).toContain(`<td class="num">${Math.round(expected[0]?.rating ?? 0)}</td>`);
    expect(ratings).not.toContain("cheat");
    expect(ratings.indexOf("strong")).toBeLessThan(ratings.indexOf("tiny-random-llama"));
    expect(ratings.indexOf("tiny-random-llama")).toBeLessThan(ratings.indexOf("weak"));

    // A trusted signer claiming wins that its samples do not hold stops the build.
    const liar = writePairwise(dir, ciKey, "liar", [1, 0, 9], [9, 0, 1]);
    const lied = await astroBuild(dir, join(root, "out-liar"));
    expect(lied.code).not.toBe(0);
    expect(lied.output).toContain(liar);
    expect(lied.output).toContain("$.comparisons: do not match the pairwise verdicts");
  }, 120_000);

  it("leaves untrusted results out entirely with BENCH_SITE_UNTRUSTED=hide", async () => {
    const outDir = join(root, "out-hidden");
    const { code, output } = await astroBuild(resultsDir, outDir, { untrusted: "hide" });
    expect(code, output).toBe(0);

    const index = readFileSync(join(outDir, "index.html"), "utf8");
    expect(index).toContain("62.5% ± 7.8");
    expect(index).not.toContain("95.0%");
    expect(index).not.toContain("Untrusted results");
    expect(index).not.toContain("untrusted");
    const modelPage = readFileSync(join(outDir, "models/test-org/tiny-model/index.html"), "utf8");
    expect(modelPage).not.toContain("run-2");
    expect(modelPage).not.toContain("Untrusted results");

    const apiText = readFileSync(join(outDir, "api/results.json"), "utf8");
    expect(apiText).not.toContain("run-2");
    const api = JSON.parse(apiText);
    expect(api.untrustedResults).toBe("hide");
    expect(summary(api)).toEqual([
      {
        id: "test-org/tiny-model",
        rank: 1,
        latest: [["run-1", "trusted", 0.625]],
        earlier: [],
        untrusted: [],
      },
      {
        id: "test-org/pipeline-model",
        rank: 2,
        latest: [["run-1", "trusted", 0.625]],
        earlier: [],
        untrusted: [],
      },
    ]);
  }, 120_000);

  it("fails and names the file when a result was changed after signing", async () => {
    const text = readFileSync(evaluatedFile, "utf8");
    expect(text).toContain('"value": 0.625');
    writeFileSync(evaluatedFile, text.replace('"value": 0.625', '"value": 0.925'));

    const outDir = join(root, "out-tampered");
    const { code, output } = await astroBuild(resultsDir, outDir);
    expect(code).not.toBe(0);
    expect(output).toContain("result verification failed:");
    expect(output).toContain(`${evaluatedFile}: $.signature.value: does not match the document`);
    expect(existsSync(join(outDir, "index.html"))).toBe(false);
  }, 120_000);
});
