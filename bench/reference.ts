/**
 * bench against llama.cpp's own llama-perplexity on the same GGUF, items and thread count:
 * whole-process wall time on both sides (start-up and model load included), runs interleaved,
 * min / median / max; and per-task agreement between llama-perplexity and llama.cpp's rule
 * recomputed from bench's per-token samples.
 *
 * - ARC-Easy and HellaSwag (the first N tasks) on stories260K.
 * - MMLU 5-shot (the first N/4 test questions of each of four subjects, lm-eval's prompt with the
 *   subject's five dev examples) on llama-2-tiny-random (a 4,096-token context; random weights,
 *   so only its speed means anything). llama-perplexity evaluates each task's whole prompt;
 *   bench keeps a subject's shared 5-shot preamble in the KV cache across its questions.
 *
 * A third column runs llama-perplexity's own code linked against node-llama-cpp's prebuilt CPU
 * libraries (bench/link-prebuilt-perplexity.sh builds it, when the reference work tree is there):
 * the same kernels bench runs on, so that ratio is bench's own overhead; the first is against
 * llama.cpp built natively for this CPU.
 *
 *   npm run bench:reference -- [--tasks 400] [--runs 3] [--reference DIR] [--only arc-easy,hellaswag,mmlu-5shot]
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
import { parseDelimited } from "../evaluator/src/datasets/csv.ts";
import { datasetLimits } from "../evaluator/src/datasets/load.ts";
import { sha256Hex } from "../evaluator/src/result/canonical.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const shared = join(root, "..", "shared");
const { values } = parseArgs({
  options: {
    tasks: { type: "string", default: "400" },
    runs: { type: "string", default: "3" },
    reference: { type: "string", default: "/tmp/llama-reference/bin" },
    only: { type: "string", default: "arc-easy,hellaswag,mmlu-5shot" },
  },
});
const count = Number(values.tasks);
const runs = Number(values.runs);
const perplexity = join(values.reference as string, "llama-perplexity");
const prebuiltPerplexity = join(values.reference as string, "llama-perplexity-prebuilt");
const model = join(shared, "models/stories260K.gguf");
const llama2 = join(shared, "models/llama-2-tiny-random.gguf");
const mmluDir = join(shared, "datasets/mmlu");
const arcFile = join(shared, "datasets/arc/ARC-Easy/ARC-Easy-Test.jsonl");
const hellaswagFile = join(shared, "datasets/hellaswag_llamacpp/hellaswag_val_full.txt");
for (const needed of [model, llama2, mmluDir, arcFile, hellaswagFile, perplexity]) {
  if (!existsSync(needed)) {
    console.error(`needs ${needed}`);
    process.exit(2);
  }
}

/** One task in llama.cpp's six-line HellaSwag text format. */
interface Task {
  /** Few-shot examples before the question, shared by a subject's tasks (the suite's preamble). */
  shots?: string;
  context: string;
  gold: number;
  endings: string[];
}

/** The text llama-perplexity scores the endings after. */
const fullContext = (t: Task) => `${t.shots ?? ""}${t.context}`;

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

// lm-eval's mmlu (default template): description, then "question\nA. ..\nD. ..\nAnswer:" with
// " X" after each dev example, examples joined by blank lines; choices " A" .. " D".
const subjects = ["high_school_biology", "high_school_mathematics", "philosophy", "prehistory"];
const mmluRow = (cells: string[], answer: boolean) =>
  `${(cells[0] as string).trim()}\n${["A", "B", "C", "D"].map((l, i) => `${l}. ${cells[i + 1]}`).join("\n")}\nAnswer:${answer ? ` ${cells[5]}` : ""}`;
const columns = ["q", "a", "b", "c", "d", "answer"];
const csv = (file: string) =>
  parseDelimited(
    readFileSync(file, "utf8"),
    { delimiter: ",", header: false, columns },
    file,
    datasetLimits,
  ).map((r) => columns.map((c) => r[c] as string));
const mmlu: Task[] = subjects.flatMap((subject) => {
  const dev = csv(join(mmluDir, "dev", `${subject}_dev.csv`)).slice(0, 5);
  const preamble = `The following are multiple choice questions (with answers) about ${subject.replace(/_/g, " ")}.\n\n${dev.map((r) => `${mmluRow(r, true)}\n\n`).join("")}`;
  return csv(join(mmluDir, "test", `${subject}_test.csv`))
    .slice(0, Math.ceil(count / subjects.length))
    .map((r) => ({
      shots: preamble,
      context: mmluRow(r, false),
      gold: "ABCD".indexOf(r[5] as string),
      endings: ["A", "B", "C", "D"],
    }));
});

if (!existsSync(prebuiltPerplexity)) {
  const linked = spawnSync(join(root, "bench/link-prebuilt-perplexity.sh"), [
    join(values.reference as string, "..", "work"),
    prebuiltPerplexity,
  ]);
  if (linked.status !== 0)
    console.log(`(no prebuilt-kernel column: ${String(linked.stderr).trim()})\n`);
}
const prebuiltBins = join(root, "node_modules/@node-llama-cpp/linux-x64/bins/linux-x64");

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
      // The shots as the task's preamble, as suites/mmlu's few-shot examples: bench may keep them
      // in the KV cache across a subject's questions.
      ...(tasks.some((t) => t.shots) ? ['    preamble: "{{ shots }}"'] : []),
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
      text(fullContext(t)),
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
function runBench(
  suiteDir: string,
  manifest: string,
  run: number,
): { seconds: number; samples: string } {
  const start = performance.now();
  const child = spawnSync(
    node,
    [
      bench,
      "eval",
      manifest,
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
function runReference(
  id: string,
  weights: string,
  context: number | undefined,
  binary = perplexity,
): { seconds: number; correct: boolean[] } {
  const start = performance.now();
  const output = execFileSync(
    binary,
    // -c where the case needs more than llama-perplexity's default 2048 (5-shot prompts)
    [
      "-m",
      weights,
      "-bf",
      join(work, `${id}.bin`),
      "--multiple-choice",
      "-t",
      "1",
      ...(context === undefined ? [] : ["-c", String(context)]),
    ],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 1 << 26,
      // ggml finds its CPU variant libraries in the current folder.
      ...(binary === perplexity ? {} : { cwd: prebuiltBins }),
    },
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

console.log(`1 thread, ${count} tasks each, ${runs} interleaved runs; whole-process wall time\n`);
const cases = [
  { id: "arc-easy", tasks: arc, manifest: "models/karpathy/stories260K.yaml", weights: model },
  {
    id: "hellaswag",
    tasks: hellaswag,
    manifest: "models/karpathy/stories260K.yaml",
    weights: model,
  },
  {
    id: "mmlu-5shot",
    tasks: mmlu,
    manifest: "models/bench/llama-2-tiny-random.yaml",
    weights: llama2,
    context: 4096,
  },
].filter((c) => (values.only as string).split(",").includes(c.id));
for (const { id, tasks, manifest, weights, context } of cases as {
  id: string;
  tasks: Task[];
  manifest: string;
  weights: string;
  context?: number;
}[]) {
  const suiteDir = writeSuite(id, tasks);
  const ours: number[] = [];
  const theirs: number[] = [];
  const prebuilt: number[] = [];
  let samples = "";
  let reference: boolean[] = [];
  let kernelsDisagree = false;
  for (let run = 1; run <= runs; run++) {
    const a = runBench(suiteDir, manifest, run);
    ours.push(a.seconds);
    samples = a.samples;
    const b = runReference(id, weights, context);
    theirs.push(b.seconds);
    reference = b.correct;
    if (existsSync(prebuiltPerplexity)) {
      const c = runReference(id, weights, context, prebuiltPerplexity);
      prebuilt.push(c.seconds);
      kernelsDisagree ||= c.correct.some((x, i) => x !== b.correct[i]);
    }
  }
  if (kernelsDisagree)
    console.log(
      "  (the prebuilt-kernel llama-perplexity disagrees with the native one on some tasks)",
    );
  const rate = (s: number) => tasks.length / s;
  console.log(`${id} (${manifest}):`);
  console.log(
    `  bench eval        ${ours.map((s) => fmt(s, 2)).join(" / ")} s -> min ${fmt(rate(Math.max(...ours)))} median ${fmt(rate(median(ours)))} max ${fmt(rate(Math.min(...ours)))} tasks/s`,
  );
  console.log(
    `  llama-perplexity  ${theirs.map((s) => fmt(s, 2)).join(" / ")} s -> min ${fmt(rate(Math.max(...theirs)))} median ${fmt(rate(median(theirs)))} max ${fmt(rate(Math.min(...theirs)))} tasks/s`,
  );
  if (prebuilt.length) {
    console.log(
      `  llama-perplexity, prebuilt kernels  ${prebuilt.map((s) => fmt(s, 2)).join(" / ")} s -> min ${fmt(rate(Math.max(...prebuilt)))} median ${fmt(rate(median(prebuilt)))} max ${fmt(rate(Math.min(...prebuilt)))} tasks/s`,
    );
  }
  console.log(
    `  ratio (median tasks/s, bench / llama-perplexity): ${fmt(median(theirs) / median(ours), 2)}x${prebuilt.length ? `; bench / llama-perplexity on the same prebuilt kernels: ${fmt(median(prebuilt) / median(ours), 2)}x` : ""}`,
  );
  const mine = llamaRule(samples);
  const agree = mine.filter((c, i) => c === reference[i]).length;
  const disagree = mine.flatMap((c, i) => (c === reference[i] ? [] : [i]));
  console.log(
    `  per-task correctness, llama.cpp's rule from bench's samples vs llama-perplexity: ${agree} of ${mine.length} agree${disagree.length ? ` (differ: tasks ${disagree.join(", ")})` : ""}`,
  );
}
if (!process.env.KEEP) rmSync(work, { recursive: true, force: true });
