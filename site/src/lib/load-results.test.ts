import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createSigningKey,
  resultDocument,
  writeSignedResult,
  writeTrustList,
} from "../../test/fixtures.ts";
import { buildLeaderboard, resultsDir, verifyResults } from "./load-results.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bench-results-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("resultsDir", () => {
  it("prefers BENCH_RESULTS_DIR and falls back to ../results from the working directory", () => {
    expect(resultsDir({ BENCH_RESULTS_DIR: "/tmp/r" })).toBe("/tmp/r");
    expect(resultsDir({})).toBe(join(process.cwd(), "../results"));
  });
});

describe("verifyResults", () => {
  it("returns nothing for a missing or empty results folder", () => {
    expect(verifyResults(join(dir, "missing"))).toEqual([]);
    expect(verifyResults(dir)).toEqual([]);
  });

  it("marks results signed by a listed key trusted and others untrusted", () => {
    const trusted = createSigningKey("ci");
    writeTrustList(dir, trusted, "bench CI");
    writeSignedResult(dir, resultDocument({ modelId: "org/a" }), trusted);
    writeSignedResult(dir, resultDocument({ modelId: "org/b" }), createSigningKey("local"));
    const entries = verifyResults(dir);
    expect(entries.map((entry) => [entry.file, entry.signer.status, entry.signer.owner])).toEqual([
      ["org/a/arc-easy/run-1.json", "trusted", "bench CI"],
      ["org/b/arc-easy/run-1.json", "untrusted", undefined],
    ]);
  });

  it("throws one error naming every invalid file", () => {
    const key = createSigningKey();
    const changed = writeSignedResult(dir, resultDocument({ modelId: "org/a" }), key);
    writeSignedResult(dir, resultDocument({ modelId: "org/b" }), key);
    const unsigned = join(dir, "org/c.json");
    writeFileSync(changed, readFileSync(changed, "utf8").replace('"n": 40', '"n": 41'));
    writeFileSync(unsigned, JSON.stringify(resultDocument({ modelId: "org/c" })));
    expect(() => verifyResults(dir)).toThrow(
      [
        `result verification failed: 2 of 3 result file(s) in ${dir} did not verify`,
        `  ${changed}: $.signature.value: does not match the document (it was changed after signing, or signed by another key)`,
        `  ${unsigned}: $.signature: is missing (the document is unsigned)`,
        "The leaderboard shows only verified results: fix or remove each file named above, or sign it again.",
      ].join("\n"),
    );
  });
});

describe("buildLeaderboard", () => {
  it("keeps the latest run per model and suite and ranks evaluations by headline score", () => {
    const key = createSigningKey();
    const score = (value: number) => [
      { task: "t", metric: "acc", value, stderr: null, n: 10, higherIsBetter: true },
    ];
    const runs = [
      { modelId: "org/a", runId: "old", finishedAt: "2026-01-01T00:00:00Z", scores: score(0.9) },
      { modelId: "org/a", runId: "new", finishedAt: "2026-02-01T00:00:00Z", scores: score(0.4) },
      { modelId: "org/b", runId: "only", finishedAt: "2026-01-15T00:00:00Z", scores: score(0.6) },
      { modelId: "org/c", purpose: "pipeline-check" as const, scores: score(1) },
    ];
    for (const run of runs) writeSignedResult(dir, resultDocument(run), key);
    const leaderboard = buildLeaderboard(verifyResults(dir));
    expect(leaderboard.resultCount).toBe(4);
    expect(leaderboard.suites).toEqual([
      { id: "arc-easy", name: "ARC-Easy", version: "1.0.0", headlineMetrics: ["acc"] },
    ]);
    expect(
      leaderboard.models.map((model) => ({
        id: model.id,
        route: `${model.org}/${model.slug}`,
        latest: model.latest["arc-easy"]?.runId,
        earlier: model.earlier.map((entry) => entry.runId),
      })),
    ).toEqual([
      { id: "org/b", route: "org/b", latest: "only", earlier: [] },
      { id: "org/a", route: "org/a", latest: "new", earlier: ["old"] },
      { id: "org/c", route: "org/c", latest: "run-1", earlier: [] },
    ]);
  });

  it("is empty without results", () => {
    expect(buildLeaderboard([])).toEqual({ suites: [], models: [], resultCount: 0 });
  });
});
