import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { backendIds, isBackendId } from "../backends/registry.ts";
import { BenchError, isBenchError } from "../errors/index.ts";
import type { ModelManifest } from "../generated/model.ts";
import type { SuiteDefinition } from "../generated/suite.ts";
import { repoRoot } from "../paths.ts";
import { unknownIdMessage } from "../pure/did-you-mean.ts";
import { escapeHidden, printable } from "../pure/text.ts";
import { sha256Hex } from "../result/canonical.ts";
import { type ResolvedTask, resolveTask } from "../tasks/resolve.ts";
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
  /** Paths declared in the file must resolve inside this folder. */
  root: string;
}

/** A suite after loading: its definition and every task bound to its task type. */
export interface ResolvedSuite extends Omit<SuiteDefinition, "tasks"> {
  tasks: ResolvedTask[];
}

function problems(label: string, list: string[]): void {
  // A file name is as untrusted as the file: a bidi control in it must not reorder the message.
  const shown = escapeHidden(label);
  if (list.length > 0)
    throw new BenchError("E_INVALID", list.map((line) => `${shown}: ${line}`).join("\n"));
}

/**
 * Loads and validates a model manifest. Its id is bound to its place: the file must be
 * `models/<org>/<name>.yaml` and its id `<org>/<name>`, wherever the models folder sits, so a
 * result can never be signed under an id its manifest's path does not give.
 */
export function loadManifest(path: string): Loaded<ModelManifest> {
  const file = resolve(path);
  const label = displayPath(file);
  const { data, text } = readYaml(file);
  const manifest = validateAgainst("model", data, escapeHidden(label));
  const found: string[] = [];
  const parts = file.split(sep);
  const at = parts.lastIndexOf("models");
  const name = basename(file).replace(/\.ya?ml$/, "");
  const place =
    at >= 0 && parts.length - at === 3 && name !== basename(file)
      ? `${parts[at + 1]}/${name}`
      : undefined;
  if (place === undefined) {
    found.push(
      `$.id: ${printable(JSON.stringify(manifest.id))} cannot be checked against the file's place (expected the file at models/<org>/<name>.yaml, e.g. models/${printable(manifest.id, 60)}.yaml)`,
    );
  } else if (manifest.id !== place) {
    found.push(
      `$.id: ${printable(JSON.stringify(manifest.id))} does not match the file's place (expected ${printable(JSON.stringify(place))})`,
    );
  }
  if (!isBackendId(manifest.backend.type))
    found.push(
      `$.backend.type: ${unknownIdMessage("backend", printable(manifest.backend.type), backendIds)}`,
    );
  if (manifest.backend.type === "onnx" && manifest.tokenizer === undefined)
    found.push(
      "$.tokenizer: is required by backend onnx (expected the model's tokenizer.json: {url or path, sha256})",
    );
  problems(label, found);
  const root = parts.slice(0, at).join(sep) || sep;
  return { file, label, data: manifest, sha256: sha256Hex(text), root };
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
    `--suite: ${unknownIdMessage("suite", printable(ref), [...known].sort())}`,
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
export function loadSuite(ref: string): Loaded<ResolvedSuite> {
  return loadSuiteFile(findSuiteFile(ref), true);
}

function loadSuiteFile(file: string, followIncludes: boolean): Loaded<ResolvedSuite> {
  const label = displayPath(file);
  const { data, text } = readYaml(file);
  const suite = validateAgainst("suite", data, escapeHidden(label));
  const found: string[] = [];
  const folder = basename(dirname(file));
  if (suite.id !== folder)
    found.push(
      `$.id: ${printable(JSON.stringify(suite.id))} does not match its folder (expected ${printable(JSON.stringify(folder))})`,
    );
  const seen = new Set<string>();
  const tasks: ResolvedTask[] = [];
  const origin = { file, root: dirname(file) };
  for (const [i, task] of (suite.tasks ?? []).entries()) {
    const at = `$.tasks[${i}]`;
    if (seen.has(task.id))
      found.push(
        `${at}.id: ${printable(JSON.stringify(task.id))} is used by an earlier task (expected unique task ids)`,
      );
    seen.add(task.id);
    try {
      tasks.push({ ...resolveTask(task, { file: label, path: at }), origin });
    } catch (error) {
      if (!isBenchError(error)) throw error;
      found.push(...error.message.split("\n").map((line) => line.slice(label.length + 2)));
    }
  }
  for (const [i, include] of (suite.include ?? []).entries()) {
    const at = `$.include[${i}]`;
    if (!followIncludes) {
      found.push(
        `${at}: this suite is included by another suite, so it may not include suites itself (include their tasks directly)`,
      );
      continue;
    }
    if (include.suite === suite.id) {
      found.push(`${at}.suite: a suite cannot include itself`);
      continue;
    }
    let other: Loaded<ResolvedSuite>;
    try {
      // Suites include their siblings: the folder that holds this suite holds the other one.
      other = loadSuiteFile(join(dirname(dirname(file)), include.suite, "suite.yaml"), false);
    } catch (error) {
      if (!isBenchError(error)) throw error;
      found.push(`${at}.suite: ${printable(error.message.split("\n")[0] ?? "", 300)}`);
      continue;
    }
    const available = other.data.tasks.map((t) => t.id);
    for (const [j, id] of include.tasks.entries()) {
      const task = other.data.tasks.find((t) => t.id === id);
      if (!task) {
        found.push(
          `${at}.tasks[${j}]: ${unknownIdMessage(`task of suite ${include.suite}`, id, available)}`,
        );
      } else if (seen.has(id)) {
        found.push(
          `${at}.tasks[${j}]: ${printable(JSON.stringify(id))} is used by an earlier task (expected unique task ids)`,
        );
      } else {
        seen.add(id);
        tasks.push(task);
      }
    }
  }
  if (tasks.length === 0 && !suite.perf && found.length === 0)
    found.push(
      "$.tasks: the suite has no task (expected a task, an include or a speed run under perf)",
    );
  // Speed runs share the namespace of tasks: a result names both by id.
  for (const [i, run] of (suite.perf ?? []).entries()) {
    if (seen.has(run.id))
      found.push(
        `$.perf[${i}].id: ${printable(JSON.stringify(run.id))} is used by an earlier task or speed run (expected unique ids)`,
      );
    seen.add(run.id);
  }
  for (const [i, group] of (suite.groups ?? []).entries()) {
    const at = `$.groups[${i}]`;
    if (seen.has(group.id))
      found.push(
        `${at}.id: ${printable(JSON.stringify(group.id))} is used by a task or an earlier group (expected unique ids)`,
      );
    seen.add(group.id);
    const ids = tasks.map((t) => t.id);
    for (const [j, id] of group.tasks.entries()) {
      if (!ids.includes(id))
        found.push(`${at}.tasks[${j}]: ${unknownIdMessage("task", printable(id), ids)}`);
    }
  }
  problems(label, found);
  return {
    file,
    label,
    data: { ...suite, tasks },
    sha256: sha256Hex(text),
    root: dirname(file),
  };
}
