/**
 * The Python sandbox's speed: a worker's cold start (Node under the permission model, Pyodide
 * loaded), trivial programs per second through a warm pool, and HumanEval's 164 canonical
 * solutions with their tests, wall time. Prints numbers; asserts nothing.
 *
 *   npm run bench:sandbox -- [--workers 1] [--programs 500]
 *
 * Needs ../shared beside the repository for HumanEval.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { SandboxPool } from "../evaluator/src/sandbox/pool.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "1" },
    programs: { type: "string", default: "500" },
  },
});
const workers = Number(values.workers);
const count = Number(values.programs);
const humaneval = join(root, "..", "shared", "datasets/humaneval/HumanEval.jsonl.gz");

const pool = new SandboxPool({ size: workers, timeoutMs: 20_000 });
let start = performance.now();
await Promise.all(Array.from({ length: workers }, () => pool.run("pass")));
console.log(
  `cold start: ${workers} worker(s) ready in ${((performance.now() - start) / 1000).toFixed(2)} s (Pyodide load ${pool.loadTimes.join(", ")} ms)`,
);

start = performance.now();
const trivial = await Promise.all(
  Array.from({ length: count }, (_, i) =>
    pool.run(`assert sum(range(${i})) == ${(i * (i - 1)) / 2}`),
  ),
);
const seconds = (performance.now() - start) / 1000;
console.log(
  `warm: ${count} trivial programs in ${seconds.toFixed(2)} s: ${(count / seconds).toFixed(0)} executions/s (${trivial.filter((r) => r.status === "passed").length} passed)`,
);

if (existsSync(humaneval)) {
  const problems = gunzipSync(readFileSync(humaneval))
    .toString("utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  start = performance.now();
  const results = await Promise.all(
    problems.map((p) =>
      pool.run(`${p.prompt}${p.canonical_solution}\n${p.test}\ncheck(${p.entry_point})`),
    ),
  );
  console.log(
    `HumanEval canonical: ${results.filter((r) => r.status === "passed").length}/${problems.length} passed in ${((performance.now() - start) / 1000).toFixed(2)} s (warm pool of ${workers})`,
  );
} else {
  console.log(`HumanEval canonical: skipped (needs ${humaneval})`);
}
pool.close();
