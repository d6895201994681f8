import path from "node:path";
import {
  loadTrustList,
  scanResultFiles,
  type VerifiedResult,
  verifyResultFile,
} from "@bench/evaluator/results";

type ResultDocument = NonNullable<VerifiedResult["document"]>;

/** One score of a result; `value` is null when no item of the task could be scored. */
export interface Score {
  task: string;
  metric: string;
  value: number | null;
  stderr: number | null;
  n: number;
  errors?: number;
  higherIsBetter: boolean;
}

export interface Signer {
  /**
   * Invalid documents fail the build, so only these two reach a page. Only trusted results (signed
   * by a key in `results/trusted-keys.json`) set a headline score or a rank.
   */
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
  /** Pairwise judge tasks' verdict counts against their baselines. */
  comparisons: NonNullable<ResultDocument["comparisons"]>;
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
  /** Position on the leaderboard from 1; null for a model without a trusted result. */
  rank: number | null;
  /** The latest trusted run per suite, by `run.finishedAt`. */
  latest: Record<string, ResultEntry>;
  /** Older trusted runs, newest first. */
  earlier: ResultEntry[];
  /** Runs signed by keys outside the trust list, newest first: shown apart, never ranked. */
  untrusted: ResultEntry[];
}

/** What the site does with results signed by keys outside the trust list (`BENCH_SITE_UNTRUSTED`). */
export type UntrustedPolicy = "show" | "hide";
export const untrustedPolicies: readonly UntrustedPolicy[] = ["show", "hide"];

export interface Leaderboard {
  /** Columns of the leaderboard: the suites of trusted results. */
  suites: SuiteColumn[];
  /**
   * Every model with a page: first those with a trusted result in rank order (`rank` 1, 2, …),
   * then those whose every result is untrusted, by name, with `rank` null and no `latest` run.
   */
  models: ModelEntry[];
  /** Result documents on the site, including superseded and (when shown) untrusted ones. */
  resultCount: number;
}

/** `BENCH_RESULTS_DIR`, else `../results` from the site folder (astro runs with cwd = site/). */
export function resultsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.BENCH_RESULTS_DIR
    ? path.resolve(env.BENCH_RESULTS_DIR)
    : path.resolve(process.cwd(), "../results");
}

/** `BENCH_SITE_UNTRUSTED`: `show` (the default) or `hide`; anything else stops the build. */
export function untrustedPolicy(env: NodeJS.ProcessEnv = process.env): UntrustedPolicy {
  const value = env.BENCH_SITE_UNTRUSTED || "show";
  if ((untrustedPolicies as readonly string[]).includes(value)) return value as UntrustedPolicy;
  throw new Error(
    `BENCH_SITE_UNTRUSTED: ${JSON.stringify(value)} is not a policy (expected one of: ${untrustedPolicies.join(", ")})`,
  );
}

/**
 * Verifies every result document below `dir` (the results folder: its trust list, and the root
 * that each document's ids must match as `<org>/<model>/<suite>/<run>.json`); throws one error
 * naming every invalid file. Symbolic links and special files are skipped, each reported to `warn`.
 */
export function verifyResults(
  dir: string,
  options: { warn?: (line: string) => void } = {},
): ResultEntry[] {
  const warn = options.warn ?? ((line: string) => console.warn(line));
  const trust = loadTrustList(dir);
  const { files, skipped } = scanResultFiles(dir);
  for (const entry of skipped) warn(`skipped ${entry.path}: ${entry.reason}`);
  const verified = files.map((file) => verifyResultFile(file, trust, { root: dir }));
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
    comparisons: (document.comparisons ?? []).map((c) => ({ ...c })),
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

/** The route of a model: verification made its id the `<org>/<model>` folders of its results. */
function splitModelId(file: string): { org: string; slug: string } {
  const [org = "unknown", slug = "unknown"] = file.split("/");
  return { org, slug };
}

/**
 * Groups verified results into the leaderboard: one model per row, the latest trusted run per
 * suite. Untrusted results never set a headline or a rank: with `show` they are kept apart on
 * their model (`untrusted`), with `hide` they are dropped.
 */
export function buildLeaderboard(
  entries: readonly ResultEntry[],
  options: { untrusted?: UntrustedPolicy } = {},
): Leaderboard {
  const policy = options.untrusted ?? "show";
  const shown = entries.filter((entry) => policy === "show" || entry.signer.status === "trusted");
  const models = new Map<string, ModelEntry>();
  const suites = new Map<string, SuiteColumn>();
  for (const entry of [...shown].sort(newestFirst)) {
    let model = models.get(entry.model.id);
    if (!model) {
      model = {
        id: entry.model.id,
        ...splitModelId(entry.file),
        name: entry.model.name,
        purpose: entry.model.purpose,
        rank: null,
        latest: {},
        earlier: [],
        untrusted: [],
      };
      models.set(entry.model.id, model);
    }
    if (entry.signer.status !== "trusted") {
      model.untrusted.push(entry);
      continue;
    }
    if (model.latest[entry.suite.id]) {
      model.earlier.push(entry);
      continue;
    }
    model.latest[entry.suite.id] = entry;
    const suite = suites.get(entry.suite.id) ?? { ...entry.suite, headlineMetrics: [] };
    const metric = entry.scores[0]?.metric;
    if (metric && !suite.headlineMetrics.includes(metric)) suite.headlineMetrics.push(metric);
    suites.set(entry.suite.id, suite);
  }
  const suiteColumns = [...suites.values()].sort((a, b) => a.name.localeCompare(b.name));
  const all = [...models.values()];
  const ranked = all
    .filter((model) => Object.keys(model.latest).length > 0)
    .sort(rankModels(suiteColumns[0]?.id))
    .map((model, index) => ({ ...model, rank: index + 1 }));
  const unranked = all
    .filter((model) => Object.keys(model.latest).length === 0)
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  return { suites: suiteColumns, models: [...ranked, ...unranked], resultCount: shown.length };
}

/** Evaluations before pipeline checks, then by the first suite's headline score, then by name. */
function rankModels(suiteId: string | undefined) {
  const headline = (model: ModelEntry) => {
    const score = suiteId ? model.latest[suiteId]?.scores[0] : undefined;
    // A task no item of which could be scored has no value to rank by.
    return score && score.value !== null ? { ...score, value: score.value } : undefined;
  };
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

/** The leaderboard for `resultsDir()` under `untrustedPolicy()`, verified once per build. */
export function loadLeaderboard(
  dir: string = resultsDir(),
  untrusted: UntrustedPolicy = untrustedPolicy(),
): Leaderboard {
  const key = `${untrusted}:${dir}`;
  let leaderboard = cache.get(key);
  if (!leaderboard) {
    leaderboard = buildLeaderboard(verifyResults(dir), { untrusted });
    cache.set(key, leaderboard);
  }
  return leaderboard;
}

/** The rows of the leaderboard: models with a trusted result, in rank order. */
export function rankedModels(leaderboard: Leaderboard): ModelEntry[] {
  return leaderboard.models.filter((model) => model.rank !== null);
}

/** Every untrusted result on the site with its model, newest first. */
export function untrustedResults(
  leaderboard: Leaderboard,
): { model: ModelEntry; result: ResultEntry }[] {
  return leaderboard.models
    .flatMap((model) => model.untrusted.map((result) => ({ model, result })))
    .sort((a, b) => newestFirst(a.result, b.result));
}
