import { describe, expect, it } from "vitest";
import { whereRecords } from "../datasets/join.ts";
import { extractCodeBlocks } from "./code.ts";

// Reference: lm-evaluation-harness lm_eval/tasks/mbpp/utils.py extract_code_blocks: pattern
// r"```(?:\w+)?\n?(.*?)\n?```" with re.DOTALL on "```" + text (lm-eval's generation prefix),
// then on the text with "```python" replaced by "```"; the first match, or the whole text, after
// "from __future__ import annotations\\n". Each row's expected value is what that Python code returns for it.
describe("lm-eval mbpp's extract_code_blocks", () => {
  const head = "from __future__ import annotations\n";
  it.each([
    // no closing fence: the whole text
    ["def f(x):\n    return x\n", "def f(x):\n    return x\n"],
    // the text opens inside a block (lm-eval's "```" prefix): up to the closing fence
    ["python\ndef f(x):\n    return x\n```\nmore", "def f(x):\n    return x"],
    // a leading word is taken as the block's language: lm-eval's own quirk, kept
    ["def f(x): return x\n```", " f(x): return x"],
    // prose before a fenced block: "Here" reads as a language and the match ends at the fence
    ["Here:\n```python\ndef g(): pass\n```", ":"],
  ])("%j", (text, code) => {
    expect(extractCodeBlocks(text)).toBe(head + code);
  });
});

describe("a dataset's where", () => {
  const records = [{ task_id: 1 }, { task_id: 11 }, { task_id: 510 }, { task_id: 511 }];
  it("keeps the records for which it is true, in order", () => {
    expect(whereRecords(records, "task_id >= 11 and task_id <= 510", "s.yaml: $.dataset")).toEqual([
      { task_id: 11 },
      { task_id: 510 },
    ]);
  });
  it("refuses an expression that is not true or false, naming the record", () => {
    expect(() => whereRecords(records, "task_id", "s.yaml: $.dataset")).toThrow(
      /s\.yaml: \$\.dataset: where gave 1 for record 0 \(expected true or false\)/,
    );
  });
});
