import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sha256Hex } from "../evaluator/src/result/canonical.ts";
import { runEvaluation } from "../evaluator/src/runner/run-eval.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const shared = join(root, "..", "shared");
const { values } = parseArgs({
  options: {
    items: { type: "string", default: "400" },
    threads: { type: "string", default: "1" },
    parallel: { type: "string", default: "1" },
    runs: { type: "string", default: "3" },
  },
});
const count = Number(values.items);
const threads = Number(values.threads);
const arcDev = join(shared, "datasets/arc/ARC-Easy/ARC-Easy-Dev.jsonl");
const model = join(shared, "models/stories260K.gguf");
if (!existsSync(arcDev) || !existsSync(model)) {
  console.error(`needs ${arcDev} and ${model} (../shared beside the repository)`);
  process.exit(2);
}

interface Arc {
  question: { stem: string; choices: { text: string; label: string }[] };
  answerKey: string;
}
// The first N four-choice ARC-Easy Dev items, as ../shared/tools/llama-reference/README.md uses.
const records = readFileSync(arcDev, "utf8")
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line) as Arc)
  .filter((r) => r.question.choices.length === 4)
  .slice(0, count);

const work = mkdtempSync(join(tmpdir(), "bench-mc-"));
const suiteDir = join(work, "suites", "arc-easy-dev-bench");
mkdirSync(suiteDir, { recursive: true });
const jsonl = `${records.map((r) => JSON.stringify(r)).join("\n")}\n`;
writeFileSync(join(suiteDir, "items.jsonl"), jsonl);
const sha = sha256Hex(jsonl);
// The prompt llama-perplexity's text format forces: one line, so "Question: q Answer:".
writeFileSync(
  join(suiteDir, "suite.yaml"),
  `schemaVersion: 1
id: arc-easy-dev-bench
name: ARC-Easy dev (benchmark)
version: 1.0.0
category: reasoning
license: CC-BY-SA-4.0
tasks:
  - id: arc
    type: multiple_choice
    dataset: { path: items.jsonl, sha256: ${sha}, format: jsonl }
    prompt: "Question: {{ question.stem }} Answer:"
    choices: "question.choices | map(attribute='text') | list"
    labels: "question.choices | map(attribute='label') | list"
    target: answerKey
    metrics: [acc, acc_norm]
`,
);
// The repository's own manifest; its pinned weights come from ../shared/models as a mirror.
const manifest = join(root, "models/karpathy/stories260K.yaml");

const fmt = (n: number, digits = 1) => n.toFixed(digits);
console.log(
  `stories260K, ${records.length} four-choice ARC-Easy Dev items, ${threads} thread(s)\n`,
);
console.log(
  "bench (llama.cpp C API via node-llama-cpp 3.22.1's prebuilt libllama, one decode per item):",
);
for (let run = 1; run <= Number(values.runs); run++) {
  const outcome = await runEvaluation({
    manifest,
    suite: suiteDir,
    threads,
    parallel: Number(values.parallel),
    gpu: false,
    outDir: join(work, `out-${run}`),
    env: {
      ...process.env,
      BENCH_HOME: join(work, `home-${run}`),
      BENCH_MIRROR: join(shared, "models"),
    },
  });
  const m = outcome.document.performance.measured;
  const samples = readFileSync(outcome.samplesPath, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { loglikelihoods: number[]; tokens: number[]; gold: number[] });
  // llama-perplexity's rule: mean log-probability per token, argmax with ties to the first.
  let perToken = 0;
  for (const s of samples) {
    const means = s.loglikelihoods.map((ll, i) => ll / (s.tokens[i] as number));
    if (s.gold.includes(means.indexOf(Math.max(...means)))) perToken++;
  }
  const acc = outcome.document.scores
    .map((s) => `${s.metric} ${s.value === null ? "—" : `${fmt(s.value * 100, 2)}%`}`)
    .join(", ");
  console.log(
    `  run ${run}: ${fmt(m.itemsPerSecond as number)} items/s (eval ${fmt(m.evalSeconds as number, 2)} s, wall ${fmt(m.wallSeconds as number, 2)} s incl. load), ` +
      `outside llama.cpp evaluation ${fmt((1 - (m.engineShare as number)) * 100)}% of eval time; ${acc}, per-token ${fmt((perToken / samples.length) * 100, 2)}%`,
  );
}

console.log(
  "\nFor the side-by-side with llama.cpp's llama-perplexity (whole processes, per-task agreement), run npm run bench:reference.",
);
rmSync(work, { recursive: true, force: true });
