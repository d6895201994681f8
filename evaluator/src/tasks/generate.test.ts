import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
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
import { makeTinyLlamaGguf } from "../gguf/tiny-llama.ts";
import { sha256Hex } from "../result/canonical.ts";
import { runEvaluation } from "../runner/run-eval.ts";
import { cutAtStops } from "./generate.ts";
import type { RunnableItem } from "./resolve.ts";

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
function suite(name: string, tasks: string[], items = records): string {
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
      return { text, tokens: 7, timeToFirstTokenMs: 1.5, totalMs: 3, finishReason };
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
    expect(requests).toEqual([{ prompt: "Once upon a time", maxTokens: 256, stop: ["\n\n"] }]);
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
      { prompt: "The sun was", maxTokens: 8, stop: [".", "!"], chatTemplate: true },
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
    const model = await ggufBackend.load({
      weightsPath: path,
      threads: 1,
      contextSize: 512,
      gpu: false,
    });
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
