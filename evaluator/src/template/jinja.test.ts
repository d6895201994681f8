import { describe, expect, it } from "vitest";
import { compileExpression, compileTemplate } from "./jinja.ts";

const at = { file: "suites/x/suite.yaml", path: "$.tasks[0].prompt" };
const arc = {
  question: {
    stem: "Which is a gas?",
    choices: [
      { text: "ice", label: "A" },
      { text: "steam", label: "B" },
    ],
  },
  answerKey: "B",
};

describe("Jinja prompts", () => {
  it("renders a prompt template over a record", () => {
    expect(compileTemplate("Question: {{ question.stem }}\nAnswer:", at)(arc)).toBe(
      "Question: Which is a gas?\nAnswer:",
    );
  });

  it.each([
    ["question.choices | map(attribute='text') | list", ["ice", "steam"]],
    ["question.choices | map(attribute='label') | list", ["A", "B"]],
    ["answerKey", "B"],
    ["question.choices | length - 1", 1],
  ])("evaluates the expression %s", (expression, value) => {
    expect(compileExpression(expression, at)(arc)).toEqual(value);
  });

  it("names the file and field on a syntax error and on an expression that gives nothing", () => {
    expect(() => compileTemplate("{{ question ", at)).toThrow(
      "suites/x/suite.yaml: $.tasks[0].prompt: Jinja syntax error",
    );
    expect(() => compileExpression("answerkey", at)(arc)).toThrow(
      'suites/x/suite.yaml: $.tasks[0].prompt: "answerkey" gave nothing for this record (is a field name misspelt?)',
    );
  });
});
