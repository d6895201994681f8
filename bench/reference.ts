/**
 * bench against llama.cpp's own llama-perplexity on the same GGUF, items and thread count:
 * whole-process wall time on both sides (start-up and model load included), runs interleaved,
 * min / median / max; and, for HellaSwag, per-task agreement between llama-perplexity and
 * llama.cpp's rule recomputed from bench's per-token samples.
 *
 *   npm run bench:reference -- [--tasks 400] [--runs 3] [--reference DIR]
 *
 * DIR holds llama-perplexity (build it with ../shared/tools/llama-reference/build.sh; default
 * /tmp/llama-reference/bin). Needs ../shared beside the repository. Prints numbers; asserts nothing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sha256Hex } from "../evaluator/src/result/canonical.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const shared = join(root, "..", "shared");
const { values } = parseArgs({
  options: {
    tasks: { type: "string", default: "400" },
    runs: { type: "string", default: "3" },
    reference: { type: "string", default: "/tmp/llama-reference/bin" },
  },
});
const count = Number(values.tasks);
const runs = Number(values.runs);
const perplexity = join(values.reference as string, "llama-perplexity");
const model = join(shared, "models/stories260K.gguf");
const arcFile = join(shared, "datasets/arc/ARC-Easy/ARC-Easy-Test.jsonl");
const hellaswagFile = join(shared, "datasets/hellaswag_llamacpp/hellaswag_val_full.txt");
for (const needed of [model, arcFile, hellaswagFile, perplexity]) {
  if (!existsSync(needed)) {
    console.error(`needs ${needed}`);
    process.exit(2);
  }
}

/** One task in llama.cpp's six-line HellaSwag text format. */
interface Task {
  context: string;
  gold: number;
  endings: string[];
}

const oneLine = (s: string) => s.replace(/\n/g, " ");
const arc: Task[] = readFileSync(arcFile, "utf8")
  .trim()
  .split("\n")
  .map(
    (l) =>
      JSON.parse(l) as {
        question: { stem: string; choices: { text: string; label: string }[] };
        answerKey: string;
      },
  )
  .filter((r) => r.question.choices.length === 4)
  .slice(0, count)
  .map((r) => ({
    context: `Question: ${oneLine(r.question.stem)} Answer:`,
    gold: r.question.choices.findIndex((c) => c.label === r.answerKey),
    endings: r.question.choices.map((c) => oneLine(c.text)),
  }));
const lines = readFileSync(hellaswagFile, "utf8").split("\n");
const hellaswag: Task[] = Array.from({ length: count }, (_, i) => ({
  context: lines[i * 6] as string,
  gold: Number(lines[i * 6 + 1]),
  endings: lines.slice(i * 6 + 2, i * 6 + 6),
}));

const work = mkdtempSync(join(tmpdir(), "bench-reference-"));
const node = join(root, "node_modules/.bin/node");
const bench = join(root, "evaluator/bin/bench.js");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fmt = (n: number, d = 1) => n.toFixed(d);

/** A suite folder whose one task scores `context + " " + ending`, as llama-perplexity does. */
function writeSuite(id: string, tasks: Task[]): string {
  const dir = join(work, "suites", id);
  mkdirSync(dir, { recursive: true });
  const jsonl = `${tasks.map((t) => JSON.stringify(t)).join("\n")}\n`;
  writeFileSync(join(dir, "items.jsonl"), jsonl);
  writeFileSync(
    join(dir, "suite.yaml"),
    [
      "schemaVersion: 1",
      `id: ${id}`,
      `name: ${id}`,
      "version: 1.0.0",
      "category: reasoning",
      "license: CC-BY-SA-4.0",
      "tasks:",
      `  - id: ${id}`,
      "    type: multiple_choice",
      "    dataset:",
      "      path: items.jsonl",
      `      sha256: ${sha256Hex(jsonl)}`,
      "      format: jsonl",
      '    prompt: "{{ context }}"',
      "    choices: endings",
      "    target: gold",
      "    metrics: [acc, acc_norm]",
      "",
    ].join("\n"),
  );
  writeFileSync(join(work, `${id}.bin`), multipleChoiceBinary(tasks));
  return dir;
}

/**
 * llama-perplexity's `--multiple-choice` binary format (perplexity.cpp multiple_choice_score, as
 * ../shared/tools/llama-reference/to_hellaswag_txt.py --mc writes it): u32 task count, u32 offset
 * of each task, then per task the question, the answers, one i32 label per answer (1 = gold) and
 * an empty second answer set. Unlike `--hellaswag`, which draws its tasks in a random order, it
 * scores them in file order, so per-task results line up with ours; its rule (mean
 * log-probability after the common token prefix) is the same.
 */
function multipleChoiceBinary(tasks: Task[]): Buffer {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const text = (t: string) => {
    const bytes = Buffer.from(t, "utf8");
    return Buffer.concat([u32(bytes.length), bytes]);
  };
  const blobs = tasks.map((t) => {
    const labels = Buffer.alloc(4 * t.endings.length);
    for (const [i] of t.endings.entries()) labels.writeInt32LE(i === t.gold ? 1 : 0, 4 * i);
    return Buffer.concat([
      text(t.context),
      u32(t.endings.length),
      ...t.endings.map(text),
      labels,
      u32(0),
    ]);
  });
  let offset = 4 + 4 * blobs.length;
  const positions = blobs.map((b) => {
    const at = offset;
    offset += b.length;
    return u32(at);
  });
  return Buffer.concat([u32(blobs.length), ...positions, ...blobs]);
}

/** bench eval as a user runs it: a fresh process, default settings but one thread. */
function runBench(suiteDir: string, run: number): { seconds: number; samples: string } {
  const start = performance.now();
  const child = spawnSync(
    node,
    [
      bench,
      "eval",
      "models/karpathy/stories260K.yaml",
      "--suite",
      suiteDir,
      "--threads",
      "1",
      "--json",
      "--out",
      join(work, `out-${run}`),
    ],
    {
      cwd: root,
      encoding: "utf8",
      env: {
        ...process.env,
        BENCH_HOME: join(work, `home-${run}-${suiteDir.length}`),
        BENCH_MIRROR: shared,
        BENCH_OFFLINE: "1",
      },
      maxBuffer: 1 << 28,
    },
  );
  const seconds = (performance.now() - start) / 1000;
  if (child.status !== 0) throw new Error(`bench eval failed: ${child.stderr}`);
  return { seconds, samples: JSON.parse(child.stdout).samplesPath };
}

/** llama-perplexity --multiple-choice as its users run it; per-task correctness from its running accuracy. */
function runReference(id: string): { seconds: number; correct: boolean[] } {
  const start = performance.now();
  const output = execFileSync(
    perplexity,
    ["-m", model, "-bf", join(work, `${id}.bin`), "--multiple-choice", "-t", "1"],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 },
  );
  const seconds = (performance.now() - start) / 1000;
  // Lines "i<TAB>acc%": cumulative accuracy after task i.
  const acc = output
    .split("\n")
    .map((l) => /^(\d+)\t([\d.]+)/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[2]) / 100);
  const correct = acc.map(
    (a, i) =>
      Math.round(a * (i + 1)) - (i === 0 ? 0 : Math.round((acc[i - 1] as number) * i)) === 1,
  );
  return { seconds, correct };
}

/** llama.cpp's hellaswag rule from bench's records: mean log-probability after the common token prefix. */
function llamaRule(samplesPath: string): boolean[] {
  return readFileSync(samplesPath, "utf8")
    .trim()
    .split("\n")
    .map(
      (l) => JSON.parse(l) as { gold: number[]; tokenIds: number[][]; tokenLogprobs: number[][] },
    )
    .map((s) => {
      let common = 0;
      while (
        s.tokenIds.every(
          (ids) => ids[common] !== undefined && ids[common] === s.tokenIds[0]?.[common],
        )
      )
        common++;
      const means = s.tokenLogprobs.map((lps) => {
        const rest = lps.slice(common);
        return rest.reduce((a, b) => a + b, 0) / Math.max(rest.length, 1);
      });
      return s.gold.includes(means.indexOf(Math.max(...means)));
    });
}

console.log(
  `stories260K, 1 thread, ${count} tasks each, ${runs} interleaved runs; whole-process wall time\n`,
);
for (const [id, tasks] of [
  ["arc-easy", arc],
  ["hellaswag", hellaswag],
] as const) {
  const suiteDir = writeSuite(id, tasks);
  const ours: number[] = [];
  const theirs: number[] = [];
  let samples = "";
  let reference: boolean[] = [];
  for (let run = 1; run <= runs; run++) {
    const a = runBench(suiteDir, run);
    ours.push(a.seconds);
    samples = a.samples;
    const b = runReference(id);
    theirs.push(b.seconds);
    reference = b.correct;
  }
  const rate = (s: number) => tasks.length / s;
  console.log(`${id}:`);
  console.log(
    `  bench eval        ${ours.map((s) => fmt(s, 2)).join(" / ")} s -> min ${fmt(rate(Math.max(...ours)))} median ${fmt(rate(median(ours)))} max ${fmt(rate(Math.min(...ours)))} tasks/s`,
  );
  console.log(
    `  llama-perplexity  ${theirs.map((s) => fmt(s, 2)).join(" / ")} s -> min ${fmt(rate(Math.max(...theirs)))} median ${fmt(rate(median(theirs)))} max ${fmt(rate(Math.min(...theirs)))} tasks/s`,
  );
  console.log(
    `  ratio (median tasks/s, bench / llama-perplexity): ${fmt(median(theirs) / median(ours), 2)}x`,
  );
  const mine = llamaRule(samples);
  const agree = mine.filter((c, i) => c === reference[i]).length;
  const disagree = mine.flatMap((c, i) => (c === reference[i] ? [] : [i]));
  console.log(
    `  per-task correctness, llama.cpp's rule from bench's samples vs llama-perplexity: ${agree} of ${mine.length} agree${disagree.length ? ` (differ: tasks ${disagree.join(", ")})` : ""}`,
  );
}
rmSync(work, { recursive: true, force: true });
