import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ResultDocument } from "../generated/result.ts";
import { sha256Hex } from "../result/canonical.ts";
import type { SampleRecord } from "./sample.ts";

/** The samples file: one JSON line per item, in plan order. Its sha256 goes into the result. */
export function samplesText(samples: readonly SampleRecord[]): {
  text: string;
  sha256: string;
} {
  const text = samples.map((s) => JSON.stringify(s)).join("\n") + (samples.length ? "\n" : "");
  return { text, sha256: sha256Hex(text) };
}

/** A run id's time part: 2026-11-30T05:57:23.123Z → 20261130T055723Z. */
export const stamp = (date: Date) =>
  date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");

/** `<out>/<org>/<model>/<suite>/`: where a model's results on a suite live. */
export function resultDir(outDir: string, modelId: string, suiteId: string): string {
  const [org, name] = modelId.split("/") as [string, string];
  return join(outDir, org, name, suiteId);
}

/**
 * The write stage: the samples file, then the signed document, each written to a temporary
 * file and renamed, so a crash never leaves a half-written result.
 */
export function writeResult(
  dir: string,
  document: ResultDocument,
  samples: string,
): { documentPath: string; samplesPath: string } {
  const documentPath = join(dir, `${document.run.id}.json`);
  const samplesPath = join(dir, document.samples.path);
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${samplesPath}.tmp`, samples);
  renameSync(`${samplesPath}.tmp`, samplesPath);
  writeFileSync(`${documentPath}.tmp`, `${JSON.stringify(document, null, 2)}\n`);
  renameSync(`${documentPath}.tmp`, documentPath);
  return { documentPath, samplesPath };
}
