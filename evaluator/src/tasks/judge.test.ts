import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, writeFiles } from "../../test/helpers.ts";
import type { LoadedModel } from "../backends/types.ts";
import { loadSuite } from "../config/load.ts";
import { compilePattern } from "../pure/filters.ts";
import { sha256Hex } from "../result/canonical.ts";
import { defaultRatingPattern, parseRating } from "./judge.ts";
import type { RunnableItem } from "./resolve.ts";
import type { TaskRuntime } from "./types.ts";

// MT-Bench (FastChat fastchat/llm_judge/common.py, run_judge_single): the rating is
// re.search(r"\[\[(\d+\.?\d*)\]\]", judgment), else the older r"\[(\d+\.?\d*)\]"; a judgment with
// neither gets the rating -1, which MT-Bench drops. Here it fails the item, counted as an error.
describe("a judge's rating", () => {
  const pattern = compilePattern(defaultRatingPattern);
  const scale = { min: 1, max: 10 };
  it.each<[string, number | undefined]>([
    ["The story is vivid but rushed. Rating: [[7]]", 7],
    ["Rating: [[8.5]]", 8.5],
    ["First [[3]] then [[9]]", 3], // the first match counts
    ["Rating: [[11]]", undefined], // outside the scale
    ["Rating: [[0]]", undefined],
    ["Rating: 7", undefined], // not in the required format
    ["Rating: [[seven]]", undefined],
    ["", undefined],
  ])("%j → %s", (judgment, rating) => {
    expect(parseRating(judgment, pattern, scale)).toBe(rating);
  });

  it("reads a custom pattern's first group, and the same pattern again (no stale state)", () => {
    const custom = compilePattern(String.raw`Score:\s*(\d+)/5`);
    expect(parseRating("Score: 4/5", custom, { min: 1, max: 5 })).toBe(4);
    expect(parseRating("Score: 2/5", custom, { min: 1, max: 5 })).toBe(2);
  });
});

describe("a judge task", () => {
  let root: { dir: string; cleanup: () => void };
  beforeAll(() => {
    root = tempDir("bench-judge-");
    // The manifests the suites name must exist (their content is the runtime's business here).
    writeFiles(join(root.dir, "models", "x"), {
      "judge.yaml": "# judge\n",
      "baseline.yaml": "# baseline\n",
      "b.yaml": "# b\n",
    });
    writeFiles(root.dir, { "other.yaml": "# not a model\n" });
  });
  afterAll(() => root.cleanup());

  const records = [{ prompt: "Write a haiku about snow.", form: "haiku" }];
  function suite(
    extra: string[] = [],
    metrics = "[judge_score]",
    rubric = "Rate this {{ form }}: {{ answer }}",
  ): string {
    const text = `${records.map((r) => JSON.stringify(r)).join("\n")}\n`;
    const name = `judged-${extra.length}-${extra.join().length}-${metrics.length}`;
    const folder = join(root.dir, "suites", name);
    writeFiles(folder, {
      "items.jsonl": text,
      "suite.yaml": [
        "schemaVersion: 1",
        `id: ${name}`,
        "name: Judged",
        "version: 1.0.0",
        "category: creativity",
        "license: MIT",
        "tasks:",
        "  - id: judged",
        "    type: judge",
        `    dataset: {path: items.jsonl, sha256: ${sha256Hex(text)}, format: jsonl}`,
        '    prompt: "{{ prompt }}"',
        "    judge:",
        "      model: ../../models/x/judge.yaml",
        `      prompt: "${rubric}"`,
        ...extra.map((line) => `      ${line}`),
        `    metrics: ${metrics}`,
        "",
      ].join("\n"),
    });
    return join(folder, "suite.yaml");
  }

  /** A model that answers every prompt with `text`, remembering the prompts. */
  function model(text: string) {
    const prompts: string[] = [];
    const loaded: LoadedModel = {
      info: { versions: {}, gpu: { used: false }, contextSize: 512, threads: 1, parallel: 1 },
      async generate(request) {
        prompts.push(request.prompt);
        return {
          text,
          tokens: 3,
          timeToFirstTokenMs: 1,
          totalMs: 2,
          finishReason: "stop",
          truncatedTokens: 0,
        };
      },
      stats: () => ({ engineSeconds: 0, tokensEvaluated: 0 }),
      async dispose() {},
    };
    return { loaded, prompts };
  }

  it("asks the judge with the rubric and the answer, keeps the judgment and the judge's identity", async () => {
    const [item] = (loadSuite(suite()).data.tasks[0]?.prepare(records) ?? []) as RunnableItem[];
    const candidate = model("Snow on the pine boughs\n\nmore");
    const grader = model("Vivid imagery. Rating: [[7]]");
    const identity = {
      id: "x/judge",
      manifestSha256: "a".repeat(64),
      weightsSha256: "b".repeat(64),
      purpose: "evaluation",
    };
    const loads: string[] = [];
    const runtime: TaskRuntime = {
      async loadModel(path) {
        loads.push(path);
        return { model: grader.loaded, identity };
      },
    };
    const result = await item?.run(candidate.loaded, undefined, runtime);
    expect(result?.scores).toEqual({ judge_score: 7 });
    expect(result?.record).toEqual({
      answer: "Snow on the pine boughs",
      judgments: ["Vivid imagery. Rating: [[7]]"],
      rating: 7,
      judge: identity,
    });
    expect(grader.prompts).toEqual(["Rate this haiku: Snow on the pine boughs"]);
    expect(loads[0]?.endsWith(join("models", "x", "judge.yaml"))).toBe(true);
    expect(item?.detail).toEqual({
      prompt: "Write a haiku about snow.",
      judgeManifest: "../../models/x/judge.yaml",
    });
  });

  it("fails the item, counted, when the judgment holds no rating", async () => {
    const [item] = (loadSuite(suite()).data.tasks[0]?.prepare(records) ?? []) as RunnableItem[];
    const runtime: TaskRuntime = {
      loadModel: async () => ({
        model: model("I liked it.").loaded,
        identity: { id: "x/j", manifestSha256: "", weightsSha256: "", purpose: "evaluation" },
      }),
    };
    await expect(item?.run(model("a").loaded, undefined, runtime)).rejects.toMatchObject({
      code: "E_JUDGE_PARSE",
    });
  });

  it.each([
    [["pattern: '(a+)+b'"], /judge\.pattern: the pattern risks catastrophic backtracking/],
    [["scale: {min: 5, max: 5}"], /judge\.scale: min 5 is not below max 5/],
    [
      ["baseline: ../../models/x/none.yaml"],
      /judge\.baseline: "\.\.\/\.\.\/models\/x\/none\.yaml" names no file/,
    ],
    [["baseline: ../suite.yaml"], /judge\.baseline: "\.\.\/suite\.yaml" names no file/],
    [
      ["baseline: ../../other.yaml"],
      /judge\.baseline: "\.\.\/\.\.\/other\.yaml" is outside the repository's models\/ folder/,
    ],
  ])("refuses %j at load time", (extra, message) => {
    expect(() => loadSuite(suite(extra))).toThrow(message);
  });

  describe("pairwise, in both orders (MT-Bench pair-v2)", () => {
    const pairs = "[win_rate, tie_rate, loss_rate, position_consistency, first_position_rate]";
    const pairwiseSuite = () =>
      suite(
        ["mode: pairwise", "baseline: ../../models/x/baseline.yaml"],
        pairs,
        "Which {{ form }} is better? A: {{ answer_a }} B: {{ answer_b }}",
      );
    const identity = (id: string) => ({
      id,
      manifestSha256: "",
      weightsSha256: "",
      purpose: "evaluation",
    });
    /** A judge that answers with `verdicts` in turn, and remembers the prompts it was given. */
    function judgeSaying(verdicts: string[]) {
      const prompts: string[] = [];
      let next = 0;
      const loaded: LoadedModel = {
        ...model("").loaded,
        async generate(request) {
          prompts.push(request.prompt);
          return {
            text: verdicts[next++] as string,
            tokens: 1,
            timeToFirstTokenMs: 1,
            totalMs: 1,
            finishReason: "stop",
            truncatedTokens: 0,
          };
        },
      };
      return { loaded, prompts };
    }
    const run = async (verdicts: string[]) => {
      const [item] = (loadSuite(pairwiseSuite()).data.tasks[0]?.prepare(records) ??
        []) as RunnableItem[];
      const grader = judgeSaying(verdicts);
      const runtime: TaskRuntime = {
        loadModel: async (path) =>
          path.endsWith("baseline.yaml")
            ? { model: model("Cold white flakes").loaded, identity: identity("x/baseline") }
            : { model: grader.loaded, identity: identity("x/judge") },
      };
      const result = await item?.run(model("Snow on pines").loaded, undefined, runtime);
      return { result, prompts: grader.prompts };
    };

    it("asks with the model's answer first, then second, and wins only when both orders agree", async () => {
      const { result, prompts } = await run(["[[A]]", "[[B]]"]);
      expect(prompts).toEqual([
        "Which haiku is better? A: Snow on pines B: Cold white flakes",
        "Which haiku is better? A: Cold white flakes B: Snow on pines",
      ]);
      expect(result?.scores).toEqual({
        win_rate: 1,
        tie_rate: 0,
        loss_rate: 0,
        position_consistency: 1,
        first_position_rate: 0,
      });
      expect(result?.record).toMatchObject({
        verdicts: { first: "win", second: "win", combined: "win" },
        baseline: { answer: "Cold white flakes", model: { id: "x/baseline" } },
        judgments: ["[[A]]", "[[B]]"],
      });
    });

    it("calls a judge that always picks the first answer a tie, and reports its bias", async () => {
      const { result } = await run(["[[A]]", "[[A]]"]);
      expect(result?.scores).toMatchObject({
        win_rate: 0,
        tie_rate: 1,
        position_consistency: 0,
        first_position_rate: 1,
      });
      const loss = await run(["[[B]]", "[[A]]"]);
      expect(loss.result?.scores).toMatchObject({ loss_rate: 1, position_consistency: 1 });
      const tie = await run(["[[C]]", "[[C]]"]);
      expect(tie.result?.scores).toMatchObject({ tie_rate: 1, position_consistency: 1 });
    });

    it("fails the item when either order's verdict is missing", async () => {
      await expect(run(["[[A]]", "I cannot decide."])).rejects.toMatchObject({
        code: "E_JUDGE_PARSE",
      });
    });

    it.each([
      [
        ["mode: pairwise"],
        pairs,
        /judge\.baseline: pairwise judging compares with a baseline model/,
      ],
      [
        ["mode: pairwise", "baseline: ../../models/x/b.yaml"],
        "[judge_score]",
        /metrics: judge_score needs judge\.mode single/,
      ],
      [[], "[win_rate]", /metrics: win_rate needs judge\.mode pairwise/],
    ])("refuses %j with %s", (extra, metrics, message) => {
      expect(() => loadSuite(suite(extra, metrics))).toThrow(message);
    });
  });
});
