import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository (or installed package) root that holds schemas/, suites/, models/ and results/. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
export const schemasDir = join(repoRoot, "schemas");

/** Where bench keeps its own state (keys, journals): $BENCH_HOME, default ~/.bench. */
export function benchHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.BENCH_HOME || join(homedir(), ".bench");
}

/** The content-addressed artifact cache: $BENCH_CACHE, default $BENCH_HOME/cache. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.BENCH_CACHE || join(benchHome(env), "cache");
}
