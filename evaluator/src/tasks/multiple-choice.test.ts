import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ggufRequest, repoRoot } from "../../test/helpers.ts";
import type { MultipleChoiceTask } from "../generated/suite.ts";
import { canonicalize, sha256Hex } from "../result/canonical.ts";
import { resolveTask } from "./resolve.ts";

const dataset = { path: "items.jsonl", sha256: "a".repeat(64), format: "jsonl" as const };

function task(overrides: Partial<MultipleChoiceTask>) {
  return resolveTask(
    {
      id: "mc",
      type: "multiple_choice",
      dataset,
      prompt: "Q: {{ q }}\nA:",
      choices: "choices",
      target: "answer",
      metrics: ["acc"],
      ...overrides,
    },
    { file: "suites/demo/suite.yaml", path: "$.tasks[0]" },
  );
}

const records = ["one", "two", "three", "four", "five"].map((q, i) => ({
  q,
  choices: ["yes", "no"],
  answer: i % 2,
}));
const contexts = (items: { detail: { context?: unknown } }[]) => items.map((i) => i.detail.context);

// Reference: lm-evaluation-harness lm_eval/api/samplers.py ContextSampler.get_context: each example
// is doc_to_text + target_delimiter + the gold choice, followed by fewshot_delimiter; the task's
// description comes first and the item's doc_to_text last. first_n takes the first n documents;
// when examples come from the evaluated split, the document itself is removed.
describe("few-shot contexts", () => {
  it("puts the preamble, the first n examples and the item together as lm-eval does", () => {
    const examples = [
      { q: "ex0", choices: ["yes", "no"], answer: 1 },
      { q: "ex1", choices: ["yes", "no"], answer: 0 },
      { q: "ex2", choices: ["yes", "no"], answer: 0 },
    ];
    const items = task({
      preamble: "About {{ q }}:\n\n",
      fewshot: { n: 2, dataset, sampler: "first_n" },
    }).prepare(records.slice(0, 1), examples);
    expect(contexts(items)).toEqual([
      "About one:\n\nQ: ex0\nA: no\n\nQ: ex1\nA: yes\n\nQ: one\nA:",
    ]);
  });

  it("never uses an item as its own example when examples come from the same records", () => {
    const items = task({ fewshot: { n: 2, delimiter: "\n###\n" } }).prepare(records.slice(0, 3));
    expect(contexts(items)).toEqual([
      "Q: two\nA: no\n###\nQ: three\nA: yes\n###\nQ: one\nA:",
      "Q: one\nA: yes\n###\nQ: three\nA: yes\n###\nQ: two\nA:",
      "Q: one\nA: yes\n###\nQ: two\nA: no\n###\nQ: three\nA:",
    ]);
  });

  it("draws seeded random examples per item: repeatable, distinct, never the item", () => {
    const draw = (seed: number) =>
      task({ fewshot: { n: 3, sampler: "random", seed } })
        .prepare(records)
        .map((item) => (item.detail.context as string).match(/Q: \w+/g)?.slice(0, 3));
    const once = draw(7);
    expect(draw(7)).toEqual(once);
    for (const [i, shots] of once.entries()) {
      expect(new Set(shots).size).toBe(3);
      expect(shots).not.toContain(`Q: ${records[i]?.q}`);
    }
    expect(draw(8)).not.toEqual(once);
  });

  it("refuses more examples than there are records, naming fewshot.n", () => {
    expect(() => task({ fewshot: { n: 5 } }).prepare(records)).toThrow(
      "suites/demo/suite.yaml: $.tasks[0].fewshot.n: 5 examples per item, but the dataset holds 4 usable record(s)",
    );
  });

  it("names the example record when an example is malformed", () => {
    const bad = [{ q: "x", choices: "not a list", answer: 0 }];
    expect(() => task({ fewshot: { n: 1, dataset } }).prepare(records.slice(0, 1), bad)).toThrow(
      "$.tasks[0]: fewshot.dataset record 0: choices gave",
    );
  });
});

// Reference: lm-evaluation-harness lm_eval/api/task.py construct_requests for multiple inputs
// (WinoGrande): arguments = [(context, target_delimiter + cont) for context in ctx], where the
// choices are the contexts and doc_to_target the one continuation.
describe("partial scoring", () => {
  const wino = {
    sentence: "The trophy does not fit in the suitcase because _ is too big.",
    option1: "the trophy",
    option2: "the suitcase",
    answer: "1",
  };
  const partial = () =>
    task({
      prompt: undefined,
      choices: "[sentence.split('_')[0] ~ option1, sentence.split('_')[0] ~ option2]",
      continuation: "{{ sentence.split('_')[1].strip() }}",
      target: "answer | int - 1",
    });

  it("makes each choice a context and scores one continuation after it", () => {
    const [item] = partial().prepare([wino]);
    expect(item?.detail).toEqual({
      context: "",
      choices: [
        "The trophy does not fit in the suitcase because the trophy",
        "The trophy does not fit in the suitcase because the suitcase",
      ],
      gold: [0],
      continuation: "is too big.",
    });
  });

  it("writes a partial-scoring example as the gold context, the delimiter and the continuation", () => {
    const config = {
      prompt: undefined,
      choices: "[sentence.split('_')[0] ~ option1, sentence.split('_')[0] ~ option2]",
      continuation: "{{ sentence.split('_')[1].strip() }}",
      target: "answer | int - 1",
      fewshot: { n: 1, dataset },
    };
    const [item] = task(config).prepare([wino], [{ ...wino, answer: "2" }]);
    expect(item?.detail.context).toBe(
      "The trophy does not fit in the suitcase because the suitcase is too big.\n\n",
    );
  });
});

describe("prompt digest", () => {
  it("covers only the fields a task sets, so suites without the new fields keep their digest", () => {
    const plain = task({});
    expect(plain.promptSha256).toBe(
      sha256Hex(canonicalize({ prompt: "Q: {{ q }}\nA:", choices: "choices", target: "answer" })),
    );
    expect(task({ fewshot: { n: 1 } }).promptSha256).not.toBe(plain.promptSha256);
    expect(task({ preamble: "x" }).promptSha256).not.toBe(plain.promptSha256);
  });
});

describe("partial scoring on a real model", () => {
  it("scores the one continuation after each context, as separate log-likelihood requests", async () => {
    const { ggufBackend } = await import("../backends/gguf.ts");
    const model = await ggufBackend.load(
      ggufRequest(join(repoRoot, "models/bench/tiny-random-llama.gguf"), 512),
    );
    try {
      const [item] = task({
        prompt: undefined,
        choices: "[sentence.split('_')[0] ~ option1, sentence.split('_')[0] ~ option2]",
        continuation: "{{ sentence.split('_')[1].strip() }}",
        target: "answer | int - 1",
      }).prepare([
        {
          sentence: "The cat chased the mouse because _ was hungry.",
          option1: "the cat",
          option2: "the mouse",
          answer: "1",
        },
      ]);
      const { record } = (await item?.run(model)) ?? { record: { loglikelihoods: [] } };
      const direct = [];
      for (const context of [
        "The cat chased the mouse because the cat",
        "The cat chased the mouse because the mouse",
      ]) {
        const [score] =
          (await model.loglikelihood?.({ context, continuations: [" was hungry."] })) ?? [];
        direct.push(score?.loglikelihood);
      }
      expect(record.loglikelihoods).toEqual(direct);
    } finally {
      await model.dispose();
    }
  });
});
