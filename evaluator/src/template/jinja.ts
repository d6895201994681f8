import * as jinja from "@huggingface/jinja";
import { BenchError } from "../errors/index.ts";
import { closest } from "../pure/did-you-mean.ts";
import { printable } from "../pure/text.ts";

/** Where a template came from, for error messages: `suites/x/suite.yaml: $.tasks[0].prompt`. */
export interface TemplateSource {
  file: string;
  path: string;
}

/** Budgets of one render. A prompt template needs a tiny fraction of each. */
export interface TemplateLimits {
  /**
   * Steps: syntax nodes evaluated, loop iterations and the items of each `range`; also the
   * longest list a template may build.
   */
  maxSteps: number;
  /** Characters produced (output text, including text captured by `set` blocks and macros). */
  maxOutput: number;
  /** Wall-clock milliseconds. */
  maxMillis: number;
  /** Nested evaluations (deep expressions, recursive macros). */
  maxDepth: number;
}

export const templateLimits: TemplateLimits = {
  maxSteps: 100_000,
  maxOutput: 1_000_000,
  maxMillis: 1000,
  maxDepth: 200,
};

export interface TemplateOptions {
  limits?: Partial<TemplateLimits>;
  /** The clock for the time budget, in milliseconds (tests pass a fake one). */
  now?: () => number;
}

/** Which record a render is for, so that its errors can say so. */
export interface RenderAt {
  /** 0-based index of the record in its dataset. */
  record: number;
}

/** A compiled prompt template: renders one dataset record. */
export type CompiledTemplate = (record: object, at?: RenderAt) => string;
/** A compiled expression (choices, target, labels): its value for one dataset record. */
export type CompiledExpression = (record: object, at?: RenderAt) => unknown;

// The package's declarations of its runtime do not resolve under NodeNext (extensionless
// relative imports), so the parts used here are declared from its source (dist/index.js).
interface Node {
  type: string;
}
interface Value {
  type: string;
  value: unknown;
}
interface Environment {
  set(name: string, value: unknown): Value;
}
interface InterpreterShape {
  run(program: Node): Value;
  evaluate(statement: Node | undefined, environment: Environment): Value;
  /** Evaluates a list of statements: a loop calls it once per iteration. */
  evaluateBlock(statements: Node[], environment: Environment): Value;
}
const Interpreter = jinja.Interpreter as unknown as new (env: Environment) => InterpreterShape;
const newEnvironment = () => new (jinja.Environment as unknown as new () => Environment)();
type Template = jinja.Template;
type Program = Node;

/** A budget or strictness failure inside a render, turned into a BenchError at its boundary. */
class RenderStop extends Error {}

class UndefinedName extends Error {
  readonly variable: string;
  constructor(variable: string) {
    super(`${variable} is undefined`);
    this.variable = variable;
  }
}

// Statements that hold blocks rather than produce output themselves.
const containers = new Set([
  "If",
  "For",
  "Set",
  "Macro",
  "CallStatement",
  "FilterStatement",
  "Comment",
  "Break",
  "Continue",
]);

/** What the interpreter needs to know about a parsed template, found once per compile. */
interface Analysis {
  /** Nodes that may be undefined: operands of `is defined`/`is undefined` and `default`. */
  lenient: WeakSet<object>;
  /** Statements whose value is output text. */
  outputs: WeakSet<object>;
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && typeof (value as Node).type === "string";
}

function analyse(program: Program): Analysis {
  const lenient = new WeakSet<object>();
  const outputs = new WeakSet<object>();
  const markLenient = (start: Node) => {
    let node: Node | undefined = start;
    while (node) {
      lenient.add(node);
      node =
        node.type === "MemberExpression" ? (node as unknown as { object: Node }).object : undefined;
    }
  };
  const stack: Node[] = [program];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    const fields = node as unknown as Record<string, unknown>;
    if (node.type === "TestExpression") {
      const test = (fields.test as { value: string }).value;
      if (test === "defined" || test === "undefined") markLenient(fields.operand as Node);
    } else if (node.type === "FilterExpression") {
      const filter = fields.filter as Node & { value?: string; callee?: { value?: string } };
      const name = filter.type === "CallExpression" ? filter.callee?.value : filter.value;
      if (name === "default") markLenient(fields.operand as Node);
    }
    for (const [key, value] of Object.entries(fields)) {
      if (Array.isArray(value)) {
        for (const item of value) {
          if (!isNode(item)) continue;
          if (
            (key === "body" || key === "alternate" || key === "defaultBlock") &&
            !containers.has(item.type)
          )
            outputs.add(item);
          stack.push(item);
        }
      } else if (value instanceof Map) {
        for (const [k, v] of value) {
          if (isNode(k)) stack.push(k);
          if (isNode(v)) stack.push(v);
        }
      } else if (isNode(value)) {
        stack.push(value);
      }
    }
  }
  return { lenient, outputs };
}

/** `question.stem`, `choices[0]`: how a template wrote the name of an undefined value. */
function nameOf(node: Node): string {
  const fields = node as unknown as Record<string, unknown>;
  if (node.type === "Identifier") return String(fields.value);
  if (node.type === "MemberExpression") {
    const property = fields.property as Node & { value?: unknown };
    const object = nameOf(fields.object as Node);
    if (!fields.computed) return `${object}.${String(property.value)}`;
    if (property.type === "StringLiteral") return `${object}[${JSON.stringify(property.value)}]`;
    if (property.type === "IntegerLiteral") return `${object}[${String(property.value)}]`;
    return `${object}[…]`;
  }
  return "(expression)";
}

/** An interpreter that counts steps, time, depth and output, and treats undefined as an error. */
class BudgetedInterpreter extends Interpreter {
  private steps = 0;
  private depth = 0;
  private emitted = 0;
  private readonly started: number;
  private readonly limits: TemplateLimits;
  private readonly analysis: Analysis;
  private readonly now: () => number;

  constructor(env: Environment, limits: TemplateLimits, analysis: Analysis, now: () => number) {
    super(env);
    this.limits = limits;
    this.analysis = analysis;
    this.now = now;
    this.started = now();
  }

  /** Spends `steps` of the budget, and checks the clock. */
  charge(steps: number): void {
    const { limits } = this;
    this.steps += steps;
    if (this.steps > limits.maxSteps) {
      throw new RenderStop(
        `evaluated over ${limits.maxSteps} steps (the step budget; is a loop too long?)`,
      );
    }
    if (this.now() - this.started > limits.maxMillis) {
      throw new RenderStop(`ran over ${limits.maxMillis} ms (the time budget)`);
    }
  }

  // A loop runs its body through here, so even an empty body costs a step per iteration.
  override evaluateBlock(statements: Node[], environment: Environment): Value {
    this.charge(1);
    return super.evaluateBlock(statements, environment);
  }

  override evaluate(statement: Node | undefined, environment: Environment): Value {
    const { limits } = this;
    this.charge(1);
    this.depth += 1;
    if (this.depth > limits.maxDepth) {
      throw new RenderStop(
        `nested deeper than ${limits.maxDepth} evaluations (is a macro recursive?)`,
      );
    }
    let value: Value;
    try {
      value = super.evaluate(statement, environment);
    } finally {
      this.depth -= 1;
    }
    if (!statement) return value;
    if (
      value.type === "UndefinedValue" &&
      (statement.type === "Identifier" || statement.type === "MemberExpression") &&
      !this.analysis.lenient.has(statement)
    ) {
      throw new UndefinedName(nameOf(statement));
    }
    if (value.type === "StringValue") {
      const length = (value.value as string).length;
      if (this.analysis.outputs.has(statement)) this.emitted += length;
      if (length > limits.maxOutput || this.emitted > limits.maxOutput) {
        throw new RenderStop(`produced over ${limits.maxOutput} characters (the output budget)`);
      }
    } else if (value.type === "ArrayValue" && (value.value as unknown[]).length > limits.maxSteps) {
      throw new RenderStop(`built a list of over ${limits.maxSteps} items (the step budget)`);
    }
    return value;
  }
}

/** The globals of a render: @huggingface/jinja's, with a budgeted `range` and no clock; then the record. */
function setGlobals(
  env: Environment,
  record: object,
  limits: TemplateLimits,
  charge: (steps: number) => void,
): void {
  for (const [name, value] of [
    ["true", true],
    ["false", false],
    ["none", null],
    ["True", true],
    ["False", false],
    ["None", null],
  ] as const) {
    env.set(name, value);
  }
  env.set("raise_exception", (message: unknown) => {
    throw new RenderStop(`raise_exception: ${printable(String(message))}`);
  });
  env.set("range", (start: number, stop?: number, step = 1) => {
    const [from, to] = stop === undefined ? [0, start] : [start, stop];
    if (![from, to, step].every(Number.isInteger) || step === 0) {
      throw new RenderStop("range() takes integers and a step other than 0");
    }
    const count = Math.max(0, Math.ceil((to - from) / step));
    if (count > limits.maxSteps) {
      throw new RenderStop(
        `range() of ${count} items is over the step budget of ${limits.maxSteps}`,
      );
    }
    // Building and walking the list costs a step per item.
    charge(count);
    return Array.from({ length: count }, (_, i) => from + i * step);
  });
  for (const [key, value] of Object.entries(record)) env.set(key, value);
}

function parse(text: string, source: TemplateSource): Template {
  try {
    return new jinja.Template(text);
  } catch (cause) {
    throw new BenchError(
      "E_TEMPLATE",
      `${source.file}: ${source.path}: Jinja syntax error: ${printable((cause as Error).message, 160)}`,
      {
        hint: "templates use Jinja syntax, as in lm-evaluation-harness and model chat templates",
        cause,
      },
    );
  }
}

/** Renders a parsed template over a record within its budgets; every failure is one E_TEMPLATE line. */
function renderer(
  template: Template,
  source: TemplateSource,
  options: TemplateOptions,
): (record: object, at?: RenderAt) => string {
  const limits = { ...templateLimits, ...options.limits };
  const program = template.parsed as unknown as Program;
  const analysis = analyse(program);
  const now = options.now ?? (() => performance.now());
  return (record, at) => {
    const where = `${source.file}: ${source.path}${at ? `: record ${at.record}` : ""}`;
    try {
      const env = newEnvironment();
      const interpreter = new BudgetedInterpreter(env, limits, analysis, now);
      setGlobals(env, record, limits, (steps) => interpreter.charge(steps));
      return interpreter.run(program).value as string;
    } catch (cause) {
      if (cause instanceof UndefinedName) {
        // Only a top-level name is compared with the record's fields.
        const guess = /^\w+$/.test(cause.variable)
          ? closest(cause.variable, Object.keys(record))
          : undefined;
        throw new BenchError(
          "E_TEMPLATE",
          `${where}: ${printable(cause.variable)} is undefined${guess ? ` (did you mean ${printable(guess)}?)` : ""}`,
          {
            hint: "check the spelling against the dataset's fields; for an optional field write `{% if name is defined %}` or `name | default('')`",
          },
        );
      }
      const message =
        cause instanceof RangeError && /call stack/.test(cause.message)
          ? "nested too deeply (is a macro recursive?)"
          : printable(String((cause as Error)?.message ?? cause), 160);
      throw new BenchError("E_TEMPLATE", `${where}: ${message}`, {
        hint:
          cause instanceof RenderStop
            ? "prompt templates must stay small: simplify the template or the record"
            : "fix the template, or the record it fails on",
        cause,
      });
    }
  };
}

/**
 * A Jinja template over one dataset record (the prompt), parsed once. An undefined variable or
 * attribute is an error (a misspelt field must not yield a prompt without it); `is defined` and
 * `default` still see undefined values. Each render is bounded by `options.limits`. Errors name
 * `source` and, when `at` is given, the record.
 */
export function compileTemplate(
  text: string,
  source: TemplateSource,
  options: TemplateOptions = {},
): CompiledTemplate {
  const render = renderer(parse(text, source), source, options);
  // The interpreter drops one trailing newline of the template, as Jinja does by default;
  // lm-evaluation-harness renders with keep_trailing_newline=True (lm_eval/utils.py), and so do we.
  if (!text.endsWith("\n")) return render;
  return (record, at) => `${render(record, at)}\n`;
}

/**
 * A Jinja expression over one record that yields a value (choices, target, labels), parsed once,
 * with the same strictness and budgets as `compileTemplate`.
 */
export function compileExpression(
  expression: string,
  source: TemplateSource,
  options: TemplateOptions = {},
): CompiledExpression {
  const render = renderer(parse(`{{ (${expression}) | tojson }}`, source), source, options);
  return (record, at) => {
    const rendered = render(record, at);
    if (rendered.trim() === "") {
      throw new BenchError(
        "E_TEMPLATE",
        `${source.file}: ${source.path}${at ? `: record ${at.record}` : ""}: ${printable(JSON.stringify(expression))} gave nothing for this record`,
        { hint: "the expression must give a value: a list, a string or a number" },
      );
    }
    return JSON.parse(rendered);
  };
}
