import { describe, expect, it } from "vitest";
import { BenchError } from "../errors/index.ts";
import {
  compileExpression,
  compileTemplate,
  type TemplateOptions,
  templateLimits,
} from "./jinja.ts";

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

/** The BenchError a call throws, as { code, message }. */
function failure(call: () => unknown): { code: string; message: string } {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(BenchError);
    const { code, message } = error as BenchError;
    return { code, message };
  }
  throw new Error("expected a BenchError");
}

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

  it.each([
    [
      "an `is defined` test",
      "{% if context is defined %}{{ context }}{% else %}none{% endif %}",
      "none",
    ],
    ["an `is not defined` test", "{{ 'no' if hint is not defined else hint }}", "no"],
    ["an `is undefined` test on an attribute", "{{ question.hint is undefined }}", "true"],
    ["an `is defined` test below an undefined object", "{{ extra.hint is defined }}", "false"],
    ["a default filter", "[{{ context | default('') }}]", "[]"],
    ["a default filter on an attribute", "{{ question.hint | default('-') }}", "-"],
    [
      "namespace and loops",
      "{% set ns = namespace(n=0) %}{% for c in question.choices %}{% set ns.n = ns.n + 1 %}{{ loop.index }}{% endfor %}={{ ns.n }}",
      "12=2",
    ],
    ["a bounded range", "{% for i in range(3) %}{{ i }}{% endfor %}", "012"],
  ])("keeps %s working", (_, text, expected) => {
    expect(compileTemplate(text, at)(arc)).toBe(expected);
  });

  it.each([
    [
      "a misspelt variable",
      "Q: {{ questoin.stem }}",
      { record: 3 },
      "suites/x/suite.yaml: $.tasks[0].prompt: record 3: questoin is undefined (did you mean question?)",
    ],
    [
      "a misspelt attribute",
      "Q: {{ question.stemm }}",
      { record: 0 },
      "suites/x/suite.yaml: $.tasks[0].prompt: record 0: question.stemm is undefined",
    ],
    [
      "an index past the end",
      "{{ question.choices[5].text }}",
      { record: 1 },
      "suites/x/suite.yaml: $.tasks[0].prompt: record 1: question.choices[5] is undefined",
    ],
    [
      "an undefined variable in a condition",
      "{% if context %}x{% endif %}",
      undefined,
      "suites/x/suite.yaml: $.tasks[0].prompt: context is undefined",
    ],
    [
      "a runtime error",
      "{{ question.stem - 1 }}",
      { record: 2 },
      'suites/x/suite.yaml: $.tasks[0].prompt: record 2: Unknown operator "-" between StringValue and IntegerValue',
    ],
    [
      "raise_exception",
      "{{ raise_exception('bad \u202Erecord') }}",
      { record: 4 },
      "suites/x/suite.yaml: $.tasks[0].prompt: record 4: raise_exception: bad \\u{202e}record",
    ],
  ])("names the file, field and record for %s", (_, text, where, message) => {
    expect(failure(() => compileTemplate(text, at)(arc, where))).toEqual({
      code: "E_TEMPLATE",
      message,
    });
  });

  it.each([
    [
      "a range of 10**9",
      "{% for i in range(10**9) %}x{% endfor %}",
      {},
      "range() of 1000000000 items is over the step budget of 100000",
    ],
    [
      "nested loops",
      "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}x{% endfor %}{% endfor %}{% endfor %}",
      {},
      "evaluated over 100000 steps (the step budget; is a loop too long?)",
    ],
    [
      "output doubling",
      "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
      {},
      "produced over 1000000 characters (the output budget)",
    ],
    [
      "many small outputs",
      "{% for i in range(20) %}{{ question.stem }}{% endfor %}",
      { limits: { maxOutput: 100 } },
      "produced over 100 characters (the output budget)",
    ],
    [
      "list doubling",
      "{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l | length }}",
      {},
      "built a list of over 100000 items (the step budget)",
    ],
    [
      "a recursive macro",
      "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
      {},
      "nested deeper than 200 evaluations (is a macro recursive?)",
    ],
    [
      "a slow render (fake clock: 1 ms a tick)",
      "{% for i in range(5000) %}{{ i }}{% endfor %}",
      {
        limits: { maxMillis: 10 },
        now: (() => {
          let t = 0;
          return () => t++;
        })(),
      },
      "ran over 10 ms (the time budget)",
    ],
  ])("stops %s with E_TEMPLATE", (_, text, options: TemplateOptions, problem) => {
    // A frozen clock unless the case brings its own: a loaded machine must not turn a step or
    // output budget into the time budget.
    const clocked = { now: () => 0, ...options };
    expect(failure(() => compileTemplate(text, at, clocked)(arc, { record: 7 }))).toEqual({
      code: "E_TEMPLATE",
      message: `suites/x/suite.yaml: $.tasks[0].prompt: record 7: ${problem}`,
    });
  });

  it("counts loop iterations with empty bodies over a record's list", () => {
    const big = { items: Array.from({ length: 50_000 }, (_, i) => i) };
    const text = "{% for a in items %}{% for b in items %}{% endfor %}{% endfor %}";
    const frozen = { now: () => 0 };
    expect(failure(() => compileTemplate(text, at, frozen)(big, { record: 0 }))).toEqual({
      code: "E_TEMPLATE",
      message:
        "suites/x/suite.yaml: $.tasks[0].prompt: record 0: evaluated over 100000 steps (the step budget; is a loop too long?)",
    });
  });

  it("has documented default budgets", () => {
    expect(templateLimits).toEqual({
      maxSteps: 100_000,
      maxOutput: 1_000_000,
      maxMillis: 1000,
      maxDepth: 200,
    });
  });

  it.each([
    [
      "a misspelt field",
      "answerkey",
      "suites/x/suite.yaml: $.tasks[0].target: record 5: answerkey is undefined (did you mean answerKey?)",
    ],
    [
      "a step budget overrun",
      "range(10**9) | length",
      "suites/x/suite.yaml: $.tasks[0].target: record 5: range() of 1000000000 items is over the step budget of 100000",
    ],
  ])("applies the same rules to expressions: %s", (_, expression, message) => {
    const target = { file: at.file, path: "$.tasks[0].target" };
    expect(failure(() => compileExpression(expression, target)(arc, { record: 5 }))).toEqual({
      code: "E_TEMPLATE",
      message,
    });
  });

  it("names the file and field on a syntax error", () => {
    expect(failure(() => compileTemplate("{{ question ", at)).message).toMatch(
      /^suites\/x\/suite\.yaml: \$\.tasks\[0\]\.prompt: Jinja syntax error: /,
    );
  });

  // Reference: lm-evaluation-harness lm_eval/utils.py renders with
  // Environment(undefined=StrictUndefined, keep_trailing_newline=True).
  it.each([
    ["a\n", "a\n"],
    ["a\n\n", "a\n\n"],
    ["{{ question.stem }}:\n\n", "Which is a gas?:\n\n"],
    ["no newline", "no newline"],
  ])("keeps the trailing newline of %j, as lm-eval's keep_trailing_newline", (text, expected) => {
    expect(compileTemplate(text, at)(arc)).toBe(expected);
  });
});
