import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { backendIds, isBackendId } from "../backends/registry.ts";
import { BenchError } from "../errors/index.ts";
import type { ModelManifest } from "../generated/model.ts";
import type { SuiteDefinition } from "../generated/suite.ts";
import { repoRoot } from "../paths.ts";
import { unknownIdMessage } from "../pure/did-you-mean.ts";
import { metricIds, metrics } from "../pure/metrics/registry.ts";
import { sha256Hex } from "../result/canonical.ts";
import { isTaskType, taskTypes } from "../tasks/registry.ts";
import { compileExpression, compileTemplate } from "../template/jinja.ts";
import { validateAgainst } from "./schema.ts";
import { displayPath, readYaml } from "./yaml.ts";

export { displayPath, readYaml };

export interface Loaded<T> {
  /** Absolute path of the file. */
  file: string;
  /** Path for messages and result documents: relative to the working directory, with '/'. */
  label: string;
  data: T;
  /** sha256 of the file's bytes. */
  sha256: string;
}

function problems(label: string, list: string[]): void {
  if (list.length > 0)
    throw new BenchError("E_INVALID", list.map((line) => `${label}: ${line}`).join("\n"));
}

/** Loads and validates a model manifest; its id must match its place under models/. */
export function loadManifest(path: string): Loaded<ModelManifest> {
  const file = resolve(path);
  const label = displayPath(file);
  const { data, text } = readYaml(file);
  const manifest = validateAgainst("model", data, label);
  const found: string[] = [];
  const parts = file.split(sep);
  const at = parts.lastIndexOf("models");
  if (at >= 0 && parts.length - at === 3) {
    const expected = `${parts[at + 1]}/${basename(file).replace(/\.ya?ml$/, "")}`;
    if (manifest.id !== expected)
      found.push(
        `$.id: ${JSON.stringify(manifest.id)} does not match the file's place (expected "${expected}")`,
      );
  }
  if (!isBackendId(manifest.backend.type))
    found.push(`$.backend.type: ${unknownIdMessage("backend", manifest.backend.type, backendIds)}`);
  problems(label, found);
  return { file, label, data: manifest, sha256: sha256Hex(text) };
}

/** A suite id (looked up under ./suites, then the built-in suites) or a path to suite.yaml or its folder. */
export function findSuiteFile(ref: string): string {
  const asPath = resolve(ref);
  if (existsSync(asPath))
    return statSync(asPath).isDirectory() ? join(asPath, "suite.yaml") : asPath;
  const roots = [process.env.BENCH_SUITES_DIR, resolve("suites"), join(repoRoot, "suites")].filter(
    Boolean,
  ) as string[];
  for (const root of roots) {
    const candidate = join(root, ref, "suite.yaml");
    if (existsSync(candidate)) return candidate;
  }
  const known = new Set<string>();
  for (const root of roots) {
    if (!existsSync(root)) continue;
    for (const entry of readdirSafe(root))
      if (existsSync(join(root, entry, "suite.yaml"))) known.add(entry);
  }
  throw new BenchError(
    "E_NOT_FOUND",
    `--suite: ${unknownIdMessage("suite", ref, [...known].sort())}`,
    {
      hint: "pass a suite id from suites/ or the path of a suite.yaml",
    },
  );
}

function readdirSafe(dir: string): string[] {
  try {
    return statSync(dir).isDirectory() ? readdirSync(dir) : [];
  } catch {
    return [];
  }
}

/** Loads and validates a suite: schema, folder name, task types, metrics and every template. */
export function loadSuite(ref: string): Loaded<SuiteDefinition> {
  const file = findSuiteFile(ref);
  const label = displayPath(file);
  const { data, text } = readYaml(file);
  const suite = validateAgainst("suite", data, label);
  const found: string[] = [];
  const folder = basename(dirname(file));
  if (suite.id !== folder)
    found.push(
      `$.id: ${JSON.stringify(suite.id)} does not match its folder (expected "${folder}")`,
    );
  const seen = new Set<string>();
  for (const [i, task] of suite.tasks.entries()) {
    const at = `$.tasks[${i}]`;
    if (seen.has(task.id))
      found.push(
        `${at}.id: ${JSON.stringify(task.id)} is used by an earlier task (expected unique task ids)`,
      );
    seen.add(task.id);
    if (!isTaskType(task.type)) {
      found.push(`${at}.type: ${unknownIdMessage("task type", task.type, taskTypes)}`);
      continue;
    }
    for (const [j, metric] of task.metrics.entries()) {
      if (!Object.hasOwn(metrics, metric))
        found.push(`${at}.metrics[${j}]: ${unknownIdMessage("metric", metric, metricIds)}`);
      else if (!metrics[metric as keyof typeof metrics].taskTypes.includes(task.type)) {
        found.push(
          `${at}.metrics[${j}]: metric '${metric}' does not apply to task type '${task.type}'`,
        );
      }
    }
    const templates: [string, string | undefined, boolean][] = [
      ["prompt", task.prompt, false],
      ["choices", task.choices, true],
      ["labels", task.labels, true],
      ["target", task.target, true],
    ];
    for (const [field, value, isExpression] of templates) {
      if (value === undefined) continue;
      try {
        (isExpression ? compileExpression : compileTemplate)(value, {
          file: label,
          path: `${at}.${field}`,
        });
      } catch (error) {
        found.push((error as Error).message.slice(label.length + 2));
      }
    }
  }
  problems(label, found);
  return { file, label, data: suite, sha256: sha256Hex(text) };
}
