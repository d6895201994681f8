import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { arch, cpus, platform, release, totalmem, type } from "node:os";
import type { ResultDocument } from "../generated/result.ts";
import { repoRoot } from "../paths.ts";

function git(args: string[]): string | null {
  try {
    return execFileSync("git", args, {
      cwd: repoRoot,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return null;
  }
}

export function evaluatorVersion(): string {
  return JSON.parse(readFileSync(`${repoRoot}/evaluator/package.json`, "utf8")).version;
}

/** Hardware, OS, runtime and evaluator identity. Backend and GPU facts come from the loaded backend. */
export function fingerprint(
  backend: ResultDocument["environment"]["backend"],
  gpu: ResultDocument["environment"]["gpu"],
): ResultDocument["environment"] {
  const commit = git(["rev-parse", "HEAD"]);
  const status = commit === null ? null : git(["status", "--porcelain", "--untracked-files=no"]);
  const processors = cpus();
  return {
    os: { platform: platform(), type: type(), release: release(), arch: arch() },
    cpu: { model: processors[0]?.model.trim() ?? "unknown", cores: processors.length },
    memoryBytes: totalmem(),
    gpu,
    runtime: { node: process.versions.node, v8: process.versions.v8 },
    evaluator: {
      version: evaluatorVersion(),
      gitCommit: commit,
      gitDirty: status === null ? null : status !== "",
    },
    backend,
  };
}
