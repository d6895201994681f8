import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createSigningKey,
  resultDocument,
  writeSignedResult,
  writeTrustList,
} from "../../test/fixtures.ts";
import { buildLeaderboard, resultsDir, untrustedPolicy, verifyResults } from "./load-results.ts";

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
    const unsigned = join(dir, "org/c/arc-easy/run-1.json");
    mkdirSync(join(unsigned, ".."), { recursive: true });
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
    writeTrustList(dir, key, "bench CI");
    const score = (value: number) => [
      {
        task: "t",
        metric: "acc",
        value,
        stderr: null,
        n: 10,
        errors: 0,
        higherIsBetter: true,
        aggregation: "mean" as const,
      },
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

describe("trust", () => {
  const acc = (value: number | null) => [
    {
      task: "arc-easy",
      metric: "acc",
      value,
      stderr: null,
      n: 40,
      errors: 0,
      higherIsBetter: true,
      aggregation: "mean" as const,
    },
  ];

  /** A trusted run of org/a, a newer self-signed run of org/a scoring higher, and a self-signed org/z. */
  function writeMixed() {
    const trusted = createSigningKey("ci");
    const stranger = createSigningKey("local");
    writeTrustList(dir, trusted, "bench CI");
    const runs = [
      {
        modelId: "org/a",
        modelName: "A",
        runId: "ci",
        finishedAt: "2026-01-01T00:00:00Z",
        scores: acc(0.5),
      },
      {
        modelId: "org/a",
        modelName: "A",
        runId: "self",
        finishedAt: "2026-03-01T00:00:00Z",
        scores: acc(0.99),
      },
      {
        modelId: "org/z",
        modelName: "Z",
        runId: "self",
        finishedAt: "2026-02-01T00:00:00Z",
        scores: acc(1),
      },
    ];
    writeSignedResult(dir, resultDocument(runs[0]), trusted);
    writeSignedResult(dir, resultDocument(runs[1]), stranger);
    writeSignedResult(dir, resultDocument(runs[2]), stranger);
  }

  const summary = (leaderboard: ReturnType<typeof buildLeaderboard>) => ({
    suites: leaderboard.suites.map((suite) => suite.id),
    models: leaderboard.models.map((model) => ({
      id: model.id,
      rank: model.rank,
      latest: Object.values(model.latest).map((e) => [e.file, e.signer.status, e.scores[0]?.value]),
      earlier: model.earlier.map((e) => e.file),
      untrusted: model.untrusted.map((e) => [e.file, e.signer.status, e.scores[0]?.value]),
    })),
    resultCount: leaderboard.resultCount,
  });

  it("never lets an untrusted result set the headline or a rank, and shows it apart", () => {
    writeMixed();
    expect(summary(buildLeaderboard(verifyResults(dir)))).toEqual({
      suites: ["arc-easy"],
      models: [
        {
          id: "org/a",
          rank: 1,
          latest: [["org/a/arc-easy/ci.json", "trusted", 0.5]],
          earlier: [],
          untrusted: [["org/a/arc-easy/self.json", "untrusted", 0.99]],
        },
        {
          id: "org/z",
          rank: null,
          latest: [],
          earlier: [],
          untrusted: [["org/z/arc-easy/self.json", "untrusted", 1]],
        },
      ],
      resultCount: 3,
    });
  });

  it("leaves untrusted results out entirely with the hide policy", () => {
    writeMixed();
    expect(summary(buildLeaderboard(verifyResults(dir), { untrusted: "hide" }))).toEqual({
      suites: ["arc-easy"],
      models: [
        {
          id: "org/a",
          rank: 1,
          latest: [["org/a/arc-easy/ci.json", "trusted", 0.5]],
          earlier: [],
          untrusted: [],
        },
      ],
      resultCount: 1,
    });
  });

  it("ranks a headline that no item could score after every scored one", () => {
    const key = createSigningKey("ci");
    writeTrustList(dir, key, "bench CI");
    writeSignedResult(dir, resultDocument({ modelId: "org/failed", scores: acc(null) }), key);
    writeSignedResult(dir, resultDocument({ modelId: "org/low", scores: acc(0.1) }), key);
    expect(
      buildLeaderboard(verifyResults(dir)).models.map((model) => [model.id, model.rank]),
    ).toEqual([
      ["org/low", 1],
      ["org/failed", 2],
    ]);
  });

  it("fails the build on a malformed trust list instead of ignoring the entry", () => {
    const key = createSigningKey("ci");
    writeSignedResult(dir, resultDocument({ modelId: "org/a" }), key);
    const file = join(dir, "trusted-keys.json");
    writeFileSync(
      file,
      JSON.stringify({
        schemaVersion: 1,
        keys: [{ keyId: key.keyId, publicKey: `${key.publicKey} `, owner: "bench CI" }],
      }),
    );
    expect(() => verifyResults(dir)).toThrow(
      `${file}: $.keys[0].publicKey: is not canonical base64 of exactly 32 bytes (it has characters other than A-Z, a-z, 0-9, '+', '/' and '=' padding at the end)`,
    );
  });

  it("fails the build on a result whose ids do not match its path", () => {
    const key = createSigningKey("ci");
    const file = writeSignedResult(dir, resultDocument({ modelId: "org/a" }), key);
    const moved = join(dir, "org/b/arc-easy/run-1.json");
    mkdirSync(join(moved, ".."), { recursive: true });
    renameSync(file, moved);
    renameSync(join(file, "../run-1.samples.jsonl"), join(moved, "../run-1.samples.jsonl"));
    expect(() => verifyResults(dir)).toThrow(
      `  ${moved}: $.model.id: "org/a" does not match the file's path (expected "org/b", from its <org>/<model> folders)`,
    );
  });

  it("skips a symbolic link, reporting it, rather than following it out of the results", () => {
    const outside = mkdtempSync(join(tmpdir(), "bench-outside-"));
    try {
      const key = createSigningKey("ci");
      writeSignedResult(outside, resultDocument({ modelId: "org/a" }), key);
      symlinkSync(join(outside, "org"), join(dir, "org"));
      const warnings: string[] = [];
      expect(verifyResults(dir, { warn: (line) => warnings.push(line) })).toEqual([]);
      expect(warnings).toEqual([`skipped ${join(dir, "org")}: is a symbolic link (not followed)`]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe("untrustedPolicy", () => {
  it.each([
    [{}, "show"],
    [{ BENCH_SITE_UNTRUSTED: "" }, "show"],
    [{ BENCH_SITE_UNTRUSTED: "show" }, "show"],
    [{ BENCH_SITE_UNTRUSTED: "hide" }, "hide"],
  ])("%o → %s", (env, expected) => {
    expect(untrustedPolicy(env)).toBe(expected);
  });

  it("rejects an unknown policy", () => {
    expect(() => untrustedPolicy({ BENCH_SITE_UNTRUSTED: "rank" })).toThrow(
      'BENCH_SITE_UNTRUSTED: "rank" is not a policy (expected one of: show, hide)',
    );
  });
});
