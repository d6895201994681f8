import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GenerateRequest, LoadedModel } from "../../src/backends/types.ts";
import { loadSuite } from "../../src/config/load.ts";
import { sha256Hex } from "../../src/result/canonical.ts";
import { closeSandbox } from "../../src/tasks/code.ts";
import type { RunnableItem } from "../../src/tasks/resolve.ts";
import { tempDir, writeFiles } from "../helpers.ts";

let root: { dir: string; cleanup: () => void };
beforeAll(() => {
  root = tempDir("bench-code-");
});
afterAll(() => {
  closeSandbox();
  root.cleanup();
});

// Two HumanEval-shaped problems written here.
const records = [
  {
    prompt: "def add_one(x):\n",
    test: "def check(f):\n    assert f(1) == 2\n    assert f(-1) == 0\n",
    entry_point: "add_one",
  },
  {
    prompt: "def double(x):\n",
    test: "def check(f):\n    assert f(2) == 4\n",
    entry_point: "double",
  },
];

function suite(name: string, extra: string[]): string {
  const text = `${records.map((r) => JSON.stringify(r)).join("\n")}\n`;
  const folder = join(root.dir, name);
  writeFiles(folder, {
    "items.jsonl": text,
    "suite.yaml": [
      "schemaVersion: 1",
      `id: ${name}`,
      "name: Code",
      "version: 1.0.0",
      "category: coding",
      "license: MIT",
      "tasks:",
      "  - id: code",
      "    type: code",
      `    dataset: {path: items.jsonl, sha256: ${sha256Hex(text)}, format: jsonl}`,
      '    prompt: "{{ prompt }}"',
      '    program: "{{ prompt }}{{ completion }}\\n{{ test }}\\ncheck({{ entry_point }})"',
      '    generation: {maxTokens: 64, until: ["\\ndef"]}',
      ...extra.map((line) => `    ${line}`),
      "",
    ].join("\n"),
  });
  return join(folder, "suite.yaml");
}

/** A model that writes `bodies` in turn (cut at the first stop sequence by the task), remembering requests. */
function writer(bodies: string[]) {
  const requests: GenerateRequest[] = [];
  let next = 0;
  const model: LoadedModel = {
    info: { versions: {}, gpu: { used: false }, contextSize: 512, threads: 1, parallel: 1 },
    async generate(request) {
      requests.push(request);
      const text = bodies[next++ % bodies.length] as string;
      return {
        text,
        tokens: 5,
        timeToFirstTokenMs: 1,
        totalMs: 2,
        finishReason: "stop",
        truncatedTokens: 0,
      };
    },
    stats: () => ({ engineSeconds: 0, tokensEvaluated: 0 }),
    async dispose() {},
  };
  return { model, requests };
}

const items = (file: string) =>
  (loadSuite(file).data.tasks[0]?.prepare(records) ?? []) as RunnableItem[];

describe("the code task", () => {
  it("runs the program built from the completion in the sandbox and scores pass@1", {
    timeout: 120_000,
  }, async () => {
    const [first, second] = items(suite("greedy", ['metrics: ["pass@1"]']));
    const { model, requests } = writer([
      "    return x + 1\ndef helper():\n    pass\n",
      "    return x * 3\n",
    ]);
    const right = await first?.run(model);
    expect(right?.scores).toEqual({ "pass@1": { n: 1, c: 1 } });
    expect(right?.record).toMatchObject({
      completions: ["    return x + 1"],
      runs: [{ status: "passed" }],
    });
    const wrong = await second?.run(model);
    expect(wrong?.scores).toEqual({ "pass@1": { n: 1, c: 0 } });
    expect(wrong?.record).toMatchObject({
      runs: [{ status: "failed", exception: "AssertionError" }],
    });
    expect(requests[0]).toEqual({
      prompt: "def add_one(x):\n",
      maxTokens: 64,
      stop: ["\ndef"],
      truncate: "left",
    });
  });

  it("draws n seeded samples per problem for pass@k", { timeout: 120_000 }, async () => {
    const [first] = items(
      suite("sampled", [
        "sampling: {samples: 3, temperature: 0.8, seed: 7}",
        'metrics: ["pass@1"]',
      ]),
    );
    const { model, requests } = writer([
      "    return x + 1\n",
      "    return 0\n",
      "    return x + 1\n",
    ]);
    const result = await first?.run(model);
    expect(result?.scores).toEqual({ "pass@1": { n: 3, c: 2 } });
    expect(requests.map((r) => [r.temperature, r.seed])).toEqual([
      [0.8, 7],
      [0.8, 8],
      [0.8, 9],
    ]);
  });

  it.each([
    [
      ["sampling: {samples: 5}", 'metrics: ["pass@1"]'],
      /sampling: 5 samples of greedy decoding would all be the same/,
    ],
    [
      ['metrics: ["pass@10"]'],
      /metrics: pass@10 needs at least 10 samples per problem \(sampling.samples is 1\)/,
    ],
    [
      ['metrics: ["acc"]'],
      /metric 'acc' does not apply to task type 'code' \(expected one of: pass@1, pass@10, pass@100\)/,
    ],
  ])("refuses a config that cannot score: %j", (extra, pattern) => {
    expect(() => loadSuite(suite(`bad-${extra.length}-${String(pattern).length}`, extra))).toThrow(
      pattern,
    );
  });
});
