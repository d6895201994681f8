import path from "node:path";
import {
  listResultFiles,
  loadTrustList,
  type VerifiedResult,
  verifyResultFile,
} from "@bench/evaluator/results";

type ResultDocument = NonNullable<VerifiedResult["document"]>;

export interface Score {
  task: string;
  metric: string;
  value: number;
  stderr: number | null;
  n: number;
  errors?: number;
  higherIsBetter: boolean;
}

export interface Signer {
  /** Invalid documents fail the build, so only these two reach a page. */
  status: "trusted" | "untrusted";
  kind: string;
  keyId: string;
  name?: string;
  owner?: string;
}

/** One verified result document, flattened for the pages. */
export interface ResultEntry {
  /** Path of the document relative to the results folder. */
  file: string;
  runId: string;
  startedAt: string;
  finishedAt: string;
  complete: boolean;
  resumed: boolean;
  model: { id: string; name: string; purpose: ResultDocument["model"]["purpose"] };
  suite: { id: string; name: string; version: string };
  scores: Score[];
  performance: ResultDocument["performance"];
  environment: ResultDocument["environment"];
  config: ResultDocument["config"];
  samplesCount: number;
  signer: Signer;
}

export interface SuiteColumn {
  id: string;
  name: string;
  /** The version of the newest run shown in the leaderboard. */
  version: string;
  /** The metric of each document's first score; more than one when documents disagree. */
  headlineMetrics: string[];
}

export interface ModelEntry {
  id: string;
  /** `id` split for the route `/models/<org>/<name>/`. */
  org: string;
  slug: string;
  name: string;
  purpose: ResultDocument["model"]["purpose"];
  /** The latest run per suite, by `run.finishedAt`. */
  latest: Record<string, ResultEntry>;
  /** Older runs, newest first. */
  earlier: ResultEntry[];
}

export interface Leaderboard {
  suites: SuiteColumn[];
  models: ModelEntry[];
  /** Result documents that verified, including those superseded by a later run. */
  resultCount: number;
}

/** `BENCH_RESULTS_DIR`, else `../results` from the site folder (astro runs with cwd = site/). */
export function resultsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.BENCH_RESULTS_DIR
    ? path.resolve(env.BENCH_RESULTS_DIR)
    : path.resolve(process.cwd(), "../results");
}

/** Verifies every result document below `dir`; throws one error naming every invalid file. */
export function verifyResults(dir: string): ResultEntry[] {
  const trust = loadTrustList(dir);
  const files = listResultFiles(dir);
  const verified = files.map((file) => verifyResultFile(file, trust));
  const invalid = verified.filter((result) => result.status === "invalid");
  if (invalid.length > 0) {
    const lines = invalid.flatMap((result) =>
      result.problems.length > 0 ? result.problems : [`${result.file}: did not verify`],
    );
    throw new Error(
      `result verification failed: ${invalid.length} of ${files.length} result file(s) in ${dir} did not verify\n` +
        `${lines.map((line) => `  ${line}`).join("\n")}\n` +
        "The leaderboard shows only verified results: fix or remove each file named above, or sign it again.",
    );
  }
  return verified.map((result) => toEntry(result, dir));
}

function toEntry(result: VerifiedResult, dir: string): ResultEntry {
  const document = result.document;
  const signer = result.signer;
  if (!document || !signer || result.status === "invalid") {
    throw new Error(`${result.file}: verified without a document or signer`);
  }
  return {
    file: path.relative(dir, result.file).split(path.sep).join("/"),
    runId: document.run.id,
    startedAt: document.run.startedAt,
    finishedAt: document.run.finishedAt,
    complete: document.run.complete,
    resumed: document.run.resumed,
    model: { id: document.model.id, name: document.model.name, purpose: document.model.purpose },
    suite: { id: document.suite.id, name: document.suite.name, version: document.suite.version },
    scores: document.scores.map((score) => ({ ...score })),
    performance: document.performance,
    environment: document.environment,
    config: document.config,
    samplesCount: document.samples.count,
    signer: { status: result.status, ...signer },
  };
}

/** Newest first; ties broken by file path so the order never depends on the file system. */
function newestFirst(a: ResultEntry, b: ResultEntry): number {
  const byTime = Date.parse(b.finishedAt) - Date.parse(a.finishedAt);
  return byTime !== 0 ? byTime : a.file.localeCompare(b.file);
}

function splitModelId(id: string, file: string): { org: string; slug: string } {
  const [org, slug] = id.split("/");
  if (org && slug) return { org, slug };
  // Model ids are `<org>/<name>`; fall back to the results layout `<org>/<model>/<suite>/<run>.json`.
  const [fileOrg = "unknown", fileModel = id] = file.split("/");
  return { org: fileOrg, slug: fileModel };
}

/** Groups verified results into the leaderboard: one model per row, the latest run per suite. */
export function buildLeaderboard(entries: readonly ResultEntry[]): Leaderboard {
  const models = new Map<string, ModelEntry>();
  const suites = new Map<string, SuiteColumn & { finishedAt: string }>();
  for (const entry of [...entries].sort(newestFirst)) {
    let model = models.get(entry.model.id);
    if (!model) {
      model = {
        id: entry.model.id,
        ...splitModelId(entry.model.id, entry.file),
        name: entry.model.name,
        purpose: entry.model.purpose,
        latest: {},
        earlier: [],
      };
      models.set(entry.model.id, model);
    }
    if (model.latest[entry.suite.id]) {
      model.earlier.push(entry);
      continue;
    }
    model.latest[entry.suite.id] = entry;
    const suite = suites.get(entry.suite.id) ?? {
      ...entry.suite,
      headlineMetrics: [],
      finishedAt: entry.finishedAt,
    };
    const metric = entry.scores[0]?.metric;
    if (metric && !suite.headlineMetrics.includes(metric)) suite.headlineMetrics.push(metric);
    suites.set(entry.suite.id, suite);
  }
  const suiteColumns = [...suites.values()]
    .map(({ finishedAt: _, ...suite }) => suite)
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    suites: suiteColumns,
    models: [...models.values()].sort(rankModels(suiteColumns[0]?.id)),
    resultCount: entries.length,
  };
}

/** Evaluations before pipeline checks, then by the first suite's headline score, then by name. */
function rankModels(suiteId: string | undefined) {
  const headline = (model: ModelEntry) => (suiteId ? model.latest[suiteId]?.scores[0] : undefined);
  return (a: ModelEntry, b: ModelEntry): number => {
    if (a.purpose !== b.purpose) return a.purpose === "evaluation" ? -1 : 1;
    const scoreA = headline(a);
    const scoreB = headline(b);
    if (scoreA && scoreB && scoreA.value !== scoreB.value) {
      return scoreA.higherIsBetter ? scoreB.value - scoreA.value : scoreA.value - scoreB.value;
    }
    if (scoreA && !scoreB) return -1;
    if (scoreB && !scoreA) return 1;
    return a.name.localeCompare(b.name);
  };
}

const cache = new Map<string, Leaderboard>();

/** The leaderboard for `resultsDir()`, verified once per build. */
export function loadLeaderboard(dir: string = resultsDir()): Leaderboard {
  let leaderboard = cache.get(dir);
  if (!leaderboard) {
    leaderboard = buildLeaderboard(verifyResults(dir));
    cache.set(dir, leaderboard);
  }
  return leaderboard;
}
