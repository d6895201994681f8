import type { MultipleChoiceTask } from "../src/generated/suite.ts";
import type { PlanInput } from "../src/runner/plan.ts";
import { type ResolvedTask, resolveTask } from "../src/tasks/resolve.ts";

/** A multiple-choice task config, resolved without any file: for plan, journal and score tests. */
export function mcTask(id = "mc", overrides: Partial<MultipleChoiceTask> = {}): ResolvedTask {
  return resolveTask(
    {
      id,
      type: "multiple_choice",
      dataset: { path: "items.jsonl", sha256: "a".repeat(64), format: "jsonl" },
      prompt: "Q: {{ q }}\nA:",
      choices: "choices",
      target: "answer",
      metrics: ["acc", "acc_norm"],
      ...overrides,
    },
    { file: "suites/demo/suite.yaml", path: "$.tasks[0]" },
  );
}

/** `n` records of a four-choice question. */
export function mcRecords(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    q: `question ${i}`,
    choices: ["a", "bb", "ccc", "dddd"],
    answer: i % 4,
  }));
}

/** A plan input over `tasks` (each with its item count). */
export function planInput(tasks: [ResolvedTask, number][]): PlanInput {
  return {
    manifestSha256: "1".repeat(64),
    weightsSha256: "2".repeat(64),
    suiteSha256: "3".repeat(64),
    evaluatorVersion: "0.1.0",
    tasks: tasks.map(([task, n]) => ({
      task,
      datasetSha256: "4".repeat(64),
      items: task.prepare(mcRecords(n)),
    })),
    config: { backend: "gguf", threads: 1, parallel: 1, contextSize: 512, gpu: false, limit: null },
  };
}
