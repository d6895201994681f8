import { copyFileSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../helpers.ts";
import { excerpt, freshDir, type RunResult, readText, runBench, sha256, write } from "./harness.ts";

export const manifestFile = "models/bench/tiny-random-llama.yaml";
export const weightsFile = "models/bench/tiny-random-llama.gguf";
export const suiteFile = "suites/smoke/suite.yaml";
export const datasetFile = "suites/smoke/items.jsonl";
export const trustFile = "results/trusted-keys.json";
export const resultDir = "results/bench/tiny-random-llama/smoke";

/** The one evaluation every journal case repeats: the journal's run key depends on all of it. */
export const evalArgs = [
  "eval",
  manifestFile,
  "--suite",
  "smoke",
  "--limit",
  "3",
  "--threads",
  "1",
] as const;

/** A valid repository, built by running the real CLI once, that every case copies and breaks. */
export interface Baseline {
  /** Folder that holds the baseline and every case's copy. */
  root: string;
  /** The valid repository: the tiny model, the smoke suite, one signed result, its trust list. */
  repo: string;
  /** A journal of `evalArgs` interrupted after its items, as the runner left it. */
  journal: { name: string; runKey: string; lines: string[] };
  /** The signed result `evalArgs` wrote, relative to the repository. */
  result: { runId: string; document: string; samples: string };
  weightsSha256: string;
  /** The run into an --out that a file blocks: it must fail cleanly and keep its journal. */
  blocked: RunResult;
}

/** Environment of a run: its own home (`<root>/cases/<case>/home`) and cache, never the network. */
export function benchEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    BENCH_HOME: home,
    BENCH_CACHE: join(home, "cache"),
    BENCH_OFFLINE: "1",
    // Every run compiles the same TypeScript: one cache per table saves a third of start-up.
    NODE_COMPILE_CACHE: join(home, "..", "..", ".node-compile-cache"),
    ...extra,
  };
}

function must(ok: boolean, what: string, detail: string): void {
  if (!ok) throw new Error(`hostile-input baseline: ${what}: ${detail}`);
}

export async function buildBaseline(root: string): Promise<Baseline> {
  const repo = join(root, "baseline");
  for (const file of [manifestFile, weightsFile, suiteFile, datasetFile]) {
    write(join(repo, file), "");
    copyFileSync(join(repoRoot, file), join(repo, file));
  }
  write(join(repo, trustFile), `${JSON.stringify({ schemaVersion: 1, keys: [] })}\n`);
  const home = join(freshDir(join(root, "cases"), "baseline-"), "home");
  const env = benchEnv(home);

  // A result folder that cannot be created stops the run after every item is journaled.
  write(join(repo, "blocked", "bench"), "a file where the org folder belongs");
  const blocked = await runBench([...evalArgs, "--out", "blocked"], { cwd: repo, env });
  rmSync(join(repo, "blocked"), { recursive: true, force: true });
  const journals = join(home, "journals");
  const name = readdirSync(journals).find((f) => f.endsWith(".jsonl"));
  must(
    blocked.code !== 0 && name !== undefined,
    "an eval into a blocked --out left no journal",
    excerpt(blocked),
  );
  const text = readText(join(journals, name as string));
  const lines = text.split("\n").filter((line) => line !== "");
  must(lines.length === 4, "expected a header and 3 items in the journal", text);
  const runKey = (JSON.parse(lines[0] as string) as { runKey: string }).runKey;

  const resumed = await runBench(evalArgs, { cwd: repo, env });
  must(resumed.code === 0, "the resumed eval failed", excerpt(resumed));
  const runId = readdirSync(join(repo, resultDir))
    .find((f) => f.endsWith(".json"))
    ?.replace(/\.json$/, "");
  must(runId !== undefined, "the eval wrote no result", excerpt(resumed));

  const key = await runBench(["key", "--owner", "hostile-test"], { cwd: repo, env });
  must(key.code === 0, "bench key failed", excerpt(key));
  write(
    join(repo, trustFile),
    `${JSON.stringify({ schemaVersion: 1, keys: [JSON.parse(key.stdout)] }, null, 2)}\n`,
  );
  return {
    root,
    repo,
    journal: { name: name as string, runKey, lines },
    result: {
      runId: runId as string,
      document: `${resultDir}/${runId}.json`,
      samples: `${resultDir}/${runId}.samples.jsonl`,
    },
    weightsSha256: sha256(readFileSync(join(repoRoot, weightsFile))),
    blocked,
  };
}
