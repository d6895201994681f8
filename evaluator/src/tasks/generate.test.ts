import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ggufRequest,
  hasShared,
  repoRoot,
  sharedDir,
  sharedMissing,
  tempDir,
  writeFiles,
} from "../../test/helpers.ts";
import { ggufBackend } from "../backends/gguf.ts";
import type { GenerateRequest, GenerateResult, LoadedModel } from "../backends/types.ts";
import { loadSuite } from "../config/load.ts";
import type { GenerateTask } from "../generated/suite.ts";
import { makeTinyLlamaGguf } from "../gguf/tiny-llama.ts";
import { canonicalize, sha256Hex } from "../result/canonical.ts";
import { runEvaluation } from "../runner/run-eval.ts";
import { cutAtStops } from "./generate.ts";
import { type RunnableItem, resolveTask } from "./resolve.ts";
import type { DatasetRecord } from "./types.ts";

let root: { dir: string; cleanup: () => void };
beforeAll(() => {
  root = tempDir("bench-generate-");
});
afterAll(() => root.cleanup());

const records = [
  { prompt: "Once upon a time", answer: ", there was a little girl named Lily", word: "THERE" },
  { prompt: "Lily and Tom went to the", answer: "park", word: "park" },
  {
    prompt: "One day, a big dog",
    answer: "named Max went to the park with his mom",
    word: "Named",
  },
  { prompt: "The sun was", answer: ["hot", "bright"], word: "hot" },
];

/** A suite folder `<name>/` holding `items.jsonl` (the records) and suite.yaml with these task lines. */
function suite(name: string, tasks: string[], items: readonly object[] = records): string {
  const text = `${items.map((r) => JSON.stringify(r)).join("\n")}\n`;
  const folder = join(root.dir, name);
  writeFiles(folder, {
    "items.jsonl": text,
    "suite.yaml": [
      "schemaVersion: 1",
      `id: ${name}`,
      "name: Generate",
      "version: 1.0.0",
      "category: smoke",
      "license: MIT",
      "tasks:",
      ...tasks.map((line) =>
        line.replace("DATASET", `{path: items.jsonl, sha256: ${sha256Hex(text)}, format: jsonl}`),
      ),
      "",
    ].join("\n"),
  });
  return join(folder, "suite.yaml");
}

const task = (extra: string[] = [], target = "answer") => [
  "  - id: continue",
  "    type: generate",
  "    dataset: DATASET",
  '    prompt: "{{ prompt }}"',
  `    target: ${target}`,
  "    metrics: [exact_match]",
  ...extra.map((line) => `    ${line}`),
];

const loadError = (file: string) => {
  try {
    loadSuite(file);
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected the suite to fail to load");
};

describe("a generate task's config", () => {
  it("names an unknown filter with its JSON path and the closest id", () => {
    const file = suite(
      "unknown-filter",
      task(["filters: [{filter: strip}, {filter: lastnumber}]"]),
    );
    expect(loadError(file)).toMatchObject({
      code: "E_SCHEMA",
      message: expect.stringMatching(
        /suite\.yaml: \$\.tasks\[0\]\.filters\[1\]\.filter: unknown filter 'lastnumber' \(did you mean 'last_number'\? valid: regex, take_first, first_line, last_number, strip, lowercase, remove_whitespace\)$/,
      ),
    });
  });

  it("lists every pattern and option problem at load time, each with its JSON path", () => {
    const file = suite(
      "bad-patterns",
      task([
        "filters:",
        '  - {filter: regex, pattern: "(unclosed"}',
        "metricOptions:",
        '  exact_match: {regexesToIgnore: [",", "(\\\\s+)+x"]}',
      ]),
    );
    const lines = loadError(file).message.split("\n");
    expect(lines.map((l) => l.replace(/^.*suite\.yaml: /, ""))).toEqual([
      expect.stringMatching(
        /^\$\.tasks\[0\]\.filters\[0\]\.pattern: the pattern is not a valid regular expression: /,
      ),
      "$.tasks[0].metricOptions.exact_match.regexesToIgnore[1]: the pattern risks catastrophic backtracking: a repeated group holds a quantifier (at character 6: '(\\s+)+') (expected no quantifier inside a repeated group)",
    ]);
  });

  it("rejects options for a metric the task does not list", () => {
    const file = suite(
      "listed-options",
      task(["metricOptions: {exact_match: {ignoreCase: true}}"]),
    );
    expect(() => loadSuite(file)).not.toThrow();
    const other = suite("options-without-metric", [
      ...task(["metricOptions: {exact_match: {ignoreCase: true}}"]).filter(
        (l) => !l.includes("metrics:"),
      ),
      "    metrics: [acc]",
    ]);
    expect(
      loadError(other)
        .message.split("\n")
        .map((l) => l.replace(/^.*suite\.yaml: /, "")),
    ).toEqual([
      expect.stringMatching(
        /^\$\.tasks\[0\]\.metrics\[0\]: metric 'acc' does not apply to task type 'generate' \(expected one of: exact_match, /,
      ),
      "$.tasks[0].metricOptions.exact_match: options for 'exact_match', which the task's metrics do not list (expected one of: acc)",
    ]);
  });
});

/** A model that answers every prompt with `text`, and remembers the requests. */
function fakeModel(text: string, finishReason: GenerateResult["finishReason"] = "length") {
  const requests: GenerateRequest[] = [];
  const model: LoadedModel = {
    info: { versions: {}, gpu: { used: false }, contextSize: 512, threads: 1, parallel: 1 },
    async generate(request) {
      requests.push(request);
      return {
        text,
        tokens: 7,
        timeToFirstTokenMs: 1.5,
        totalMs: 3,
        finishReason,
        truncatedTokens: 0,
      };
    },
    stats: () => ({ engineSeconds: 0, tokensEvaluated: 0 }),
    async dispose() {},
  };
  return { model, requests };
}

function items(name: string, extra: string[], target = "answer", data = records): RunnableItem[] {
  const loaded = loadSuite(suite(name, task(extra, target), data));
  return (loaded.data.tasks[0]?.prepare(data) ?? []) as RunnableItem[];
}

describe("executing a generate item", () => {
  it("asks for lm-evaluation-harness's defaults, cuts at the first stop sequence and filters", async () => {
    const [item] = items("defaults", ["filters: [{filter: strip}, {filter: lowercase}]"]);
    const { model, requests } = fakeModel(" , There was a little girl named Lily \n\nQ: next");
    const done = await item?.run(model);
    expect(requests).toEqual([
      { prompt: "Once upon a time", maxTokens: 256, stop: ["\n\n"], truncate: "left" },
    ]);
    expect(done).toEqual({
      scores: { exact_match: 0 },
      record: {
        generation: " , There was a little girl named Lily ",
        prediction: ", there was a little girl named lily",
        finishReason: "stop",
        tokens: 7,
      },
    });
    expect(item?.detail).toEqual({
      prompt: "Once upon a time",
      references: [", there was a little girl named Lily"],
    });
  });

  it("scores with the task's metric options and any of several references", async () => {
    const [, , , sun] = items("options", [
      "metricOptions: {exact_match: {ignoreCase: true, ignorePunctuation: true}}",
      'generation: {maxTokens: 8, until: [".", "!"], temperature: 0}',
      "chatTemplate: true",
    ]);
    const { model, requests } = fakeModel("BRIGHT! and warm", "stop");
    expect((await sun?.run(model))?.scores).toEqual({ exact_match: 1 });
    expect(requests).toEqual([
      {
        prompt: "The sun was",
        maxTokens: 8,
        stop: [".", "!"],
        chatTemplate: true,
        truncate: "left",
      },
    ]);
    const { model: plain } = fakeModel("BRIGHT", "stop");
    const [, , , again] = items("no-options", []);
    expect((await again?.run(plain))?.scores).toEqual({ exact_match: 0 });
  });

  it("fails an item whose target is not text, naming the record", () => {
    expect(() => items("numeric", [], "n", [{ prompt: "x", n: 3 } as never])).toThrow(
      /\$\.tasks\[0\]: record 0: target gave 3 \(expected a string or a non-empty list of strings; a number needs '\| string'\)$/,
    );
  });

  it("hands structured gold to the metrics that read it, and checks it per record", async () => {
    const tatqa = [
      { q: "Revenue?", a: ["12.5"], t: "span", s: "million" },
      { q: "Bad?", a: "x", t: "span", s: "" },
    ];
    const lines = (gold: string[]) => [
      "  - id: t",
      "    type: generate",
      "    dataset: DATASET",
      '    prompt: "{{ q }}"',
      "    target: a | join(' ')",
      "    metrics: [tatqa_em, tatqa_f1]",
      ...gold,
    ];
    expect(loadError(suite("no-gold", lines([]), tatqa)).message).toMatch(
      /\$\.tasks\[0\]\.metrics: tatqa_em, tatqa_f1 read\(s\) structured gold, which the task does not give/,
    );
    const file = suite(
      "gold",
      lines([`    gold: "{'answer': a, 'answer_type': t, 'scale': s}"`]),
      tatqa,
    );
    const loaded = loadSuite(file);
    expect(() => loaded.data.tasks[0]?.prepare(tatqa)).toThrow(
      /\$\.tasks\[0\]\.gold: record 1: answer of a span question is not a list of strings \(as tatqa_em reads it\)/,
    );
    const [first] = (loaded.data.tasks[0]?.prepare(tatqa.slice(0, 1)) ?? []) as RunnableItem[];
    const { model } = fakeModel("12.5 million\n", "stop");
    const result = await first?.run(model);
    expect(result?.scores).toEqual({ tatqa_em: 1, tatqa_f1: 1 });
    expect(first?.detail).toMatchObject({
      gold: { answer: ["12.5"], answer_type: "span", scale: "million" },
    });
  });

  it("fails the item, not the run, on a backend without generation", async () => {
    const [item] = items("no-generate", []);
    const { model } = fakeModel("x");
    const { generate: _, ...without } = model;
    await expect(item?.run(without as LoadedModel)).rejects.toMatchObject({ code: "E_CAPABILITY" });
  });

  it.each([
    ["Paris.\nRome", ["."], "Paris"],
    ["Paris\nRome.", [".", "\n"], "Paris"],
    ["Paris", ["."], "Paris"],
    ["", ["\n\n"], ""],
  ])("cuts %j at the first of %j", (text, until, expected) => {
    expect(cutAtStops(text, until)).toBe(expected);
  });
});

const fewshotRecords = ["one", "two", "three", "four"].map((q, i) => ({
  q,
  a: i === 3 ? ["4", "four"] : String(i + 1),
}));
const dataset = { path: "items.jsonl", sha256: "a".repeat(64), format: "jsonl" as const };
const at = { file: "suites/demo/suite.yaml", path: "$.tasks[0]" };
const generateTask = (overrides: Partial<GenerateTask> = {}): GenerateTask => ({
  id: "gen",
  type: "generate",
  dataset,
  prompt: "Q: {{ q }}\nA:",
  target: "a",
  metrics: ["exact_match"],
  ...overrides,
});
const prompts = (
  overrides: Partial<GenerateTask>,
  data = fewshotRecords,
  examples?: DatasetRecord[],
) =>
  resolveTask(generateTask(overrides), at)
    .prepare(data, examples)
    .map((item) => item.detail.prompt);

// Reference: lm-evaluation-harness lm_eval/api/samplers.py ContextSampler.get_context: each example
// is doc_to_text + target_delimiter + doc_to_target (its first element when a list), followed by
// fewshot_delimiter; an example whose target is "" adds only its doc_to_text. The task's
// description comes first (ConfigurableTask.fewshot_context) and the item's doc_to_text last, with
// no target delimiter after it. FirstNSampler takes the first n documents; when the examples come
// from the evaluated split, the document itself is left out.
describe("a generate task's preamble and few-shot examples", () => {
  it.each<[string, Partial<GenerateTask>, DatasetRecord[] | undefined, string[]]>([
    [
      "zero-shot: the prompt alone",
      {},
      undefined,
      ["Q: one\nA:", "Q: two\nA:", "Q: three\nA:", "Q: four\nA:"],
    ],
    [
      "a preamble rendered per record (lm-eval's description)",
      { preamble: "Answer these questions about {{ q }}:\n\n" },
      undefined,
      [
        "Answer these questions about one:\n\nQ: one\nA:",
        "Answer these questions about two:\n\nQ: two\nA:",
        "Answer these questions about three:\n\nQ: three\nA:",
        "Answer these questions about four:\n\nQ: four\nA:",
      ],
    ],
    [
      "first_n from the same records: never the item, the first reference of a list",
      { fewshot: { n: 2 } },
      undefined,
      [
        "Q: two\nA: 2\n\nQ: three\nA: 3\n\nQ: one\nA:",
        "Q: one\nA: 1\n\nQ: three\nA: 3\n\nQ: two\nA:",
        "Q: one\nA: 1\n\nQ: two\nA: 2\n\nQ: three\nA:",
        "Q: one\nA: 1\n\nQ: two\nA: 2\n\nQ: four\nA:",
      ],
    ],
    [
      "NQ-Open's shape: preamble, target and few-shot delimiters",
      {
        preamble: "Answer these questions:\n\n",
        targetDelimiter: "~",
        fewshot: { n: 3, delimiter: "\n", sampler: "first_n" },
      },
      undefined,
      [
        "Answer these questions:\n\nQ: two\nA:~2\nQ: three\nA:~3\nQ: four\nA:~4\nQ: one\nA:",
        "Answer these questions:\n\nQ: one\nA:~1\nQ: three\nA:~3\nQ: four\nA:~4\nQ: two\nA:",
        "Answer these questions:\n\nQ: one\nA:~1\nQ: two\nA:~2\nQ: four\nA:~4\nQ: three\nA:",
        "Answer these questions:\n\nQ: one\nA:~1\nQ: two\nA:~2\nQ: three\nA:~3\nQ: four\nA:",
      ],
    ],
    [
      "examples from another split (fewshot.dataset): the same index is not the item",
      { preamble: "P\n", fewshot: { n: 2, dataset } },
      [
        { q: "ex0", a: "x" },
        { q: "ex1", a: ["y", "z"] },
        { q: "ex2", a: "w" },
      ],
      [
        "P\nQ: ex0\nA: x\n\nQ: ex1\nA: y\n\nQ: one\nA:",
        "P\nQ: ex0\nA: x\n\nQ: ex1\nA: y\n\nQ: two\nA:",
        "P\nQ: ex0\nA: x\n\nQ: ex1\nA: y\n\nQ: three\nA:",
        "P\nQ: ex0\nA: x\n\nQ: ex1\nA: y\n\nQ: four\nA:",
      ],
    ],
    [
      "an example with an empty target adds only its prompt",
      { fewshot: { n: 2, dataset } },
      [
        { q: "ex0", a: "" },
        { q: "ex1", a: "y" },
      ],
      [
        "Q: ex0\nA:Q: ex1\nA: y\n\nQ: one\nA:",
        "Q: ex0\nA:Q: ex1\nA: y\n\nQ: two\nA:",
        "Q: ex0\nA:Q: ex1\nA: y\n\nQ: three\nA:",
        "Q: ex0\nA:Q: ex1\nA: y\n\nQ: four\nA:",
      ],
    ],
  ])("%s", (_name, overrides, examples, expected) => {
    expect(prompts(overrides, fewshotRecords, examples)).toEqual(expected);
  });

  it("draws seeded random examples per item as multiple_choice does: pinned, distinct, never the item", () => {
    const fewshot = (seed: number) => ({ n: 2, sampler: "random" as const, seed });
    const draw = (seed: number) =>
      prompts({ fewshot: fewshot(seed) }).map((p) => (p as string).match(/Q: \w+/g)?.slice(0, 2));
    // mulberry32 seeded from the seed and the item's index, not Python's random.Random(1234).
    const once = draw(1234);
    expect(once).toEqual([
      ["Q: three", "Q: two"],
      ["Q: three", "Q: one"],
      ["Q: one", "Q: four"],
      ["Q: one", "Q: two"],
    ]);
    for (const [i, shots] of once.entries()) {
      expect(new Set(shots).size).toBe(2);
      expect(shots).not.toContain(`Q: ${fewshotRecords[i]?.q}`);
    }
    expect(draw(7)).not.toEqual(once);
    const choice = resolveTask(
      {
        id: "mc",
        type: "multiple_choice",
        dataset,
        prompt: "Q: {{ q }}\nA:",
        choices: "['x', 'y']",
        target: "0",
        fewshot: fewshot(1234),
        metrics: ["acc"],
      },
      at,
    ).prepare(fewshotRecords);
    expect(
      choice.map((item) => (item.detail.context as string).match(/Q: \w+/g)?.slice(0, 2)),
    ).toEqual(once);
  });

  it("sends the whole context to the model and stops at the few-shot delimiter by default", async () => {
    const [item] = resolveTask(
      generateTask({ preamble: "P\n", fewshot: { n: 1, delimiter: "\n" } }),
      at,
    ).prepare(fewshotRecords);
    const { model, requests } = fakeModel("2\nQ: next");
    expect((await item?.run(model))?.record).toMatchObject({ generation: "2" });
    expect(requests).toEqual([
      { prompt: "P\nQ: two\nA: 2\nQ: one\nA:", maxTokens: 256, stop: ["\n"], truncate: "left" },
    ]);
  });

  it("refuses more examples than there are records, naming fewshot.n", () => {
    expect(() => prompts({ fewshot: { n: 4 } })).toThrow(
      "suites/demo/suite.yaml: $.tasks[0].fewshot.n: 4 examples per item, but the dataset holds 3 usable record(s)",
    );
  });

  it("names the example record when an example's target is not text", () => {
    expect(() =>
      prompts({ fewshot: { n: 1, dataset } }, fewshotRecords, [{ q: "x", a: 3 }]),
    ).toThrow(
      "suites/demo/suite.yaml: $.tasks[0]: fewshot.dataset record 0: target gave 3 (expected a string or a non-empty list of strings; a number needs '| string')",
    );
  });

  it("keeps the prompt digest of a config without the new fields, and changes it with each", () => {
    const digest = (overrides: Partial<GenerateTask>) =>
      resolveTask(generateTask(overrides), at).promptSha256;
    // The digest's fields before preamble, targetDelimiter and fewshot existed.
    const before = sha256Hex(
      canonicalize({
        prompt: "Q: {{ q }}\nA:",
        target: "a",
        generation: { maxTokens: 256, until: ["\n\n"], temperature: 0 },
        chatTemplate: false,
        filters: [],
      }),
    );
    expect(digest({})).toBe(before);
    const changed = [
      { preamble: "P\n" },
      { targetDelimiter: "" },
      { fewshot: { n: 1 } },
      { fewshot: { n: 1, delimiter: "\n" } },
      { truncate: "none" as const },
      { gold: "{'a': a}" },
    ].map(digest);
    expect(new Set([before, ...changed]).size).toBe(7);
  });

  it("reports a preamble's template error with its JSON path", () => {
    expect(() => resolveTask(generateTask({ preamble: "{{ q" }), at)).toThrow(
      /\$\.tasks\[0\]\.preamble/,
    );
  });
});

// References: lm-evaluation-harness lm_eval/tasks/gsm8k/gsm8k.yaml (v3.0), triviaqa/default.yaml
// (v3.0) and nq_open/nq_open.yaml (v4.0): each generation goes through the task's filter chain,
// then exact_match with the task's options against any reference.
describe("the generate suites score as lm-evaluation-harness's tasks", () => {
  const gsm8k = {
    question: "Janet has 1,200 eggs and buys 34 more. How many eggs does she have?",
    answer: "She has 1200+34=<<1200+34=1234>>1,234 eggs.\n#### 1,234",
  };
  const trivia = {
    context: "Question: What type of animal is a dik-dik?\nAnswer:",
    answer: "Antelope",
    aliases: ["Antelope", "Antelopes"],
  };
  const nq = { question: "how many seasons are there", answer: ["one", "one season"] };
  const records: Record<string, DatasetRecord> = { gsm8k, triviaqa: trivia, "nq-open": nq };
  it.each<[string, string, Record<string, number>]>([
    [
      "gsm8k",
      " She has 1200+34 = 1,234 eggs.\n#### 1,234\n\n",
      { "strict-match": 1, "flexible-extract": 1 },
    ],
    ["gsm8k", " She has $1,234.", { "strict-match": 0, "flexible-extract": 1 }],
    ["gsm8k", " #### 1234 eggs, then 12 more", { "strict-match": 1, "flexible-extract": 0 }],
    ["triviaqa", "  antelopes!", { triviaqa: 1 }],
    ["triviaqa", "An antelope", { triviaqa: 0 }],
    // The article pattern runs before lowercasing, so it deletes "A " but not "AN ".
    ["nq-open", " A one season", { "nq-open": 1 }],
    ["nq-open", "AN one", { "nq-open": 0 }],
  ])("%s: generation %j", async (id, text, expected) => {
    const record = records[id] as DatasetRecord;
    const suite = loadSuite(join(repoRoot, "suites", id)).data;
    const scores: Record<string, number> = {};
    for (const task of suite.tasks) {
      const [item] = task.prepare([record], [record, record, record, record, record]);
      const { model } = fakeModel(text);
      scores[task.id] = (await item?.run(model))?.scores.exact_match as number;
    }
    expect(scores).toEqual(expected);
  });
});

describe.skipIf(!hasShared)(
  `generate on stories260K through runEvaluation${hasShared ? "" : ` (skipped: ${sharedMissing})`}`,
  () => {
    const manifest = join(repoRoot, "models/karpathy/stories260K.yaml");
    const env = (name: string) => ({
      BENCH_HOME: join(root.dir, "home", name),
      BENCH_MIRROR: join(sharedDir, "models"),
      BENCH_OFFLINE: "1",
    });
    const until = ['generation: {maxTokens: 24, until: ["."]}'];

    it("records each generation and scores the greedy continuations", async () => {
      const file = suite("stories", [
        ...task([...until, "filters: [{filter: strip}]"]),
        ...task(
          [
            ...until,
            'filters: [{filter: regex, pattern: "\\\\w+"}]',
            "metricOptions: {exact_match: {ignoreCase: true}}",
          ],
          "word",
        ).map((l) => l.replace("id: continue", "id: first-word")),
      ]);
      const outcome = await runEvaluation({
        manifest,
        suite: file,
        threads: 1,
        gpu: false,
        outDir: join(root.dir, "out"),
        env: env("stories"),
      });
      const samples = readFileSync(outcome.samplesPath, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      // Greedy from "Once upon a time": ", there was a little girl named Lily." (SOURCE.json)
      const generations = [
        ", there was a little girl named Lily",
        "park",
        "named Max went to the park with his mom",
        "a little girl named Lily",
      ];
      expect(samples.slice(0, 4)).toEqual(
        records.map((r, index) => ({
          task: "continue",
          index,
          status: "ok",
          scores: { exact_match: index === 3 ? 0 : 1 },
          prompt: r.prompt,
          references: Array.isArray(r.answer) ? r.answer : [r.answer],
          generation: generations[index],
          prediction: generations[index],
          finishReason: "stop",
          tokens: expect.any(Number),
        })),
      );
      expect(samples.slice(4).map((s) => [s.prediction, s.references, s.scores])).toEqual([
        ["there", ["THERE"], { exact_match: 1 }],
        ["park", ["park"], { exact_match: 1 }],
        ["named", ["Named"], { exact_match: 1 }],
        ["a", ["hot"], { exact_match: 0 }],
      ]);
      expect(outcome.document.scores).toMatchObject(
        ["continue", "first-word"].map((t) => ({
          task: t,
          metric: "exact_match",
          value: 0.75,
          stderr: 0.25,
          n: 4,
          errors: 0,
          higherIsBetter: true,
          aggregation: "mean",
        })),
      );
    });

    it("fails every item, with the reason, when the task wants a chat template the model lacks", async () => {
      const file = suite("no-chat", task([...until, "chatTemplate: true"]), records.slice(0, 2));
      const outcome = await runEvaluation({
        manifest,
        suite: file,
        threads: 1,
        gpu: false,
        outDir: join(root.dir, "out-chat"),
        env: env("no-chat"),
      });
      const samples = readFileSync(outcome.samplesPath, "utf8").trim().split("\n");
      expect(samples.map((line) => JSON.parse(line).error)).toEqual([
        {
          code: "E_CAPABILITY",
          message:
            "gguf: the task asks for the model's chat template (chatTemplate: true), but the model has none (no tokenizer.chat_template in its GGUF metadata)",
        },
        expect.objectContaining({ code: "E_CAPABILITY" }),
      ]);
      expect(outcome.document.scores[0]).toMatchObject({ value: null, n: 0, errors: 2 });
    });
  },
);

/**
 * The tiny random llama with `tokenizer.chat_template` added as the first metadata entry. The
 * entry's size is padded to a multiple of the 32-byte alignment, so tensor data stays aligned.
 */
function withChatTemplate(template: string): Uint8Array {
  const bytes = makeTinyLlamaGguf();
  const key = new TextEncoder().encode("tokenizer.chat_template");
  const fixed = 8 + key.length + 4 + 8;
  let value = new TextEncoder().encode(template);
  const pad = (32 - ((fixed + value.length + 4) % 32)) % 32;
  value = new TextEncoder().encode(`${template}{#${"x".repeat(pad)}#}`);
  const entry = new Uint8Array(fixed + value.length);
  const view = new DataView(entry.buffer);
  view.setBigUint64(0, BigInt(key.length), true);
  entry.set(key, 8);
  view.setUint32(8 + key.length, 8, true); // string
  view.setBigUint64(12 + key.length, BigInt(value.length), true);
  entry.set(value, fixed);
  const out = new Uint8Array(bytes.length + entry.length);
  out.set(bytes.subarray(0, 24));
  out.set(entry, 24);
  out.set(bytes.subarray(24), 24 + entry.length);
  const header = new DataView(out.buffer);
  header.setBigUint64(16, header.getBigUint64(16, true) + 1n, true); // metadata count
  return out;
}

describe("the gguf backend's chat template", () => {
  it("wraps the prompt as one user message in the model's own template", async () => {
    const path = join(root.dir, "chat.gguf");
    writeFileSync(
      path,
      withChatTemplate(
        "{% for m in messages %}{% if m.role == 'user' %}Q: {{ m.content }}\n{% else %}A:{{ m.content }}{% endif %}{% endfor %}{% if add_generation_prompt %}A:{% endif %}",
      ),
    );
    const model = await ggufBackend.load(ggufRequest(path, 512));
    try {
      const chat = await model.generate?.({
        prompt: "is it the answer",
        maxTokens: 8,
        chatTemplate: true,
      });
      const raw = await model.generate?.({ prompt: "Q: is it the answer\nA:", maxTokens: 8 });
      const other = await model.generate?.({ prompt: "is it the answer", maxTokens: 8 });
      expect(chat?.text).toBe(raw?.text);
      expect(chat?.tokens).toBe(8);
      expect(other?.text).not.toBe(raw?.text);
    } finally {
      await model.dispose();
    }
  });
});
