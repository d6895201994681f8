import { join } from "node:path";
import { repoRoot } from "../helpers.ts";
import { type Baseline, datasetFile, manifestFile, suiteFile, weightsFile } from "./baseline.ts";
import { readText, sha256, write } from "./harness.ts";

/** One case's folders: a copy of the baseline repository, a home, and room for outside files. */
export interface CaseContext {
  base: Baseline;
  /** The case's folder; `repo` and `home` are inside it, anything else is outside the repository. */
  dir: string;
  repo: string;
  home: string;
}

type Dynamic<T> = T | ((c: CaseContext) => T);

/** A hostile input and what `bench` must do with it. */
export interface HostileCase {
  name: string;
  /** Breaks one thing in the copied repository (or home, or around it). */
  setup?: (c: CaseContext) => void;
  args: Dynamic<readonly string[]>;
  /** Added to the run's environment (home, cache, BENCH_OFFLINE=1). */
  env?: Dynamic<Record<string, string>>;
  /** 1 or 2 for a clean failure; 0 where bench must cope (skip with a warning, take over). */
  code: 0 | 1 | 2;
  /** What the output must name: the file, the field (JSON path, line:col, flag or variable). */
  mentions: Dynamic<readonly (string | RegExp)[]>;
}

export function resolveDynamic<T>(value: Dynamic<T>, c: CaseContext): T {
  return typeof value === "function" ? (value as (c: CaseContext) => T)(c) : value;
}

export const defineCases = (cases: HostileCase[]): HostileCase[] => cases;

/** The baseline manifest's fields (models/bench/tiny-random-llama.yaml). */
export const manifestFields = () => ({
  schemaVersion: 1,
  id: "bench/tiny-random-llama",
  name: "tiny-random-llama (pipeline check)",
  license: "Apache-2.0",
  purpose: "pipeline-check",
  parameters: 57952,
  backend: { type: "gguf", contextSize: 512 },
  weights: {
    path: "tiny-random-llama.gguf",
    sha256: "ad57abc9f40b44e28e6d25f019f106176f1dd552eaff3e27447b24b6d8c29f91",
  } as Record<string, unknown>,
});

/** The baseline smoke suite's fields, with its one task. */
export const suiteFields = () => ({
  schemaVersion: 1,
  id: "smoke",
  name: "Smoke",
  version: "1.0.0",
  category: "smoke",
  license: "Apache-2.0",
  description: "48 four-choice everyday questions.",
  tasks: [
    {
      id: "everyday-mc",
      type: "multiple_choice",
      dataset: {
        path: "items.jsonl",
        sha256: "3512d138385b885b0b11f42d59d58df9344bdb99ae6c9f61c370e17138e8294f",
        format: "jsonl",
      } as Record<string, unknown>,
      prompt: "Question: {{ question }}\nAnswer:",
      choices: "choices",
      target: "answer",
      metrics: ["acc", "acc_norm"],
    } as Record<string, unknown>,
  ],
});

type ManifestFields = ReturnType<typeof manifestFields>;
type SuiteFields = ReturnType<typeof suiteFields>;

/** Writes a manifest (JSON is YAML) at `at`, after `edit` changed the baseline's fields. */
export function writeManifest(
  c: CaseContext,
  edit: (m: ManifestFields) => void,
  at = manifestFile,
): void {
  const fields = manifestFields();
  edit(fields);
  write(join(c.repo, at), `${JSON.stringify(fields, null, 2)}\n`);
}

export function writeRaw(c: CaseContext, at: string, content: string | Uint8Array): void {
  write(join(c.repo, at), content);
}

/** Writes the smoke suite after `edit` changed its fields (the one task is `s.tasks[0]`). */
export function writeSuite(c: CaseContext, edit: (s: SuiteFields) => void): void {
  const fields = suiteFields();
  edit(fields);
  write(join(c.repo, suiteFile), `${JSON.stringify(fields, null, 2)}\n`);
}

/** Replaces the smoke dataset and pins its new sha256, so only its content is hostile. */
export function writeDataset(c: CaseContext, content: string | Uint8Array): void {
  write(join(c.repo, datasetFile), content);
  writeSuite(c, (s) => {
    (s.tasks[0] as { dataset: Record<string, unknown> }).dataset.sha256 = sha256(content);
  });
}

/** The baseline dataset's first `n` lines. */
export function datasetLines(n: number): string[] {
  return readText(join(repoRoot, datasetFile)).split("\n").slice(0, n);
}

/** The weights' pin, for manifests that fetch them by URL. */
export const tinyWeights = (c: CaseContext) => ({
  url: "https://example.invalid/models/tiny-random-llama.gguf",
  sha256: c.base.weightsSha256,
});

export { datasetFile, manifestFile, suiteFile, weightsFile };
