import { existsSync, realpathSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { printable } from "../pure/text.ts";
import type { TaskSource } from "./types.ts";

/**
 * The problem with a model manifest a task names (a judge, a baseline, a scorer), or undefined:
 * `path` is relative to the suite's folder and must name a file inside the repository's models/
 * folder (suites live in <repository>/suites/<id>/), links followed.
 */
export function modelPathProblem(
  source: TaskSource,
  field: string,
  path: string,
): string | undefined {
  const shown = printable(JSON.stringify(path), 120);
  const full = resolve(dirname(source.file), path);
  const models = join(resolve(dirname(source.file), "..", ".."), "models");
  if (!existsSync(full)) {
    return `${source.file}: ${source.path}.${field}: ${shown} names no file (expected a model manifest's path from the suite's folder)`;
  }
  if (!existsSync(models) || !realpathSync(full).startsWith(realpathSync(models) + sep)) {
    return `${source.file}: ${source.path}.${field}: ${shown} is outside the repository's models/ folder (expected e.g. ../../models/<org>/<name>.yaml)`;
  }
  return undefined;
}
