import { type ParseArgsConfig, parseArgs } from "node:util";
import { BenchError } from "../errors/index.ts";
import { unknownIdMessage } from "../pure/did-you-mean.ts";
import { printable } from "../pure/text.ts";
import { type CommandSpec, nonEmpty, type OptionSpec, type Values } from "./define.ts";
import { globalOptions, helpOption } from "./options.ts";

type ParseArgsOptions = NonNullable<ParseArgsConfig["options"]>;

/** The node:util parseArgs configuration of a command, `--help` included. */
export function parseArgsOptions(spec: CommandSpec): ParseArgsOptions {
  const options: ParseArgsOptions = {};
  for (const [flag, option] of Object.entries({ ...spec.options, help: helpOption })) {
    options[flag] = { type: option.type, ...(option.short ? { short: option.short } : {}) };
  }
  return options;
}

export type CommandLine<C extends CommandSpec> =
  | { help: true }
  | { help: false; values: Values<C>; positionals: string[] };

/**
 * Parses a command's arguments against its table. Each option takes the flag, else its
 * environment variable (an empty one counts as unset), else its default; every value goes
 * through the option's parser, so a problem names the flag or the variable.
 */
export function parseCommandLine<C extends CommandSpec>(
  spec: C,
  argv: string[],
  env: NodeJS.ProcessEnv,
): CommandLine<C> {
  const parsed = parseOrExplain(spec, argv);
  if (parsed.values.help === true) return { help: true };
  checkPositionals(spec, parsed.positionals);
  const values: Record<string, unknown> = {};
  for (const [flag, option] of Object.entries(spec.options) as [string, OptionSpec][]) {
    values[flag] = resolveOption(spec, flag, option, parsed.values[flag], env);
  }
  return { help: false, values: values as Values<C>, positionals: parsed.positionals };
}

function resolveOption(
  spec: CommandSpec,
  flag: string,
  option: OptionSpec,
  raw: string | boolean | (string | boolean)[] | undefined,
  env: NodeJS.ProcessEnv,
): unknown {
  const parse = option.parse ?? nonEmpty;
  if (option.type === "boolean" && raw !== undefined) return raw === true;
  if (typeof raw === "string") return parse(raw, { kind: "flag", name: `--${flag}` });
  const fromEnv = option.env === undefined ? undefined : env[option.env];
  if (option.env !== undefined && fromEnv !== undefined && fromEnv !== "")
    return parse(fromEnv, { kind: "env", name: option.env });
  if (option.default !== undefined)
    return typeof option.default === "function" ? option.default() : option.default;
  if (option.required)
    throw new BenchError("E_USAGE", `bench ${spec.name}: --${flag} is required`, {
      hint: `e.g. ${spec.example}`,
    });
  return option.type === "boolean" ? false : undefined;
}

function checkPositionals(spec: CommandSpec, positionals: string[]): void {
  const min = spec.positionals.filter((p) => p.required).length;
  const max = spec.positionals.some((p) => p.variadic)
    ? Number.POSITIVE_INFINITY
    : spec.positionals.length;
  if (positionals.length >= min && positionals.length <= max) return;
  const names = spec.positionals.map((p) => `<${p.name}>`).join(" ");
  const expected =
    max === 0
      ? "no arguments"
      : `${min === max ? min : `${min} to ${max}`} argument${max === 1 ? "" : "s"} (${names})`;
  throw new BenchError(
    "E_USAGE",
    `bench ${spec.name}: expected ${expected}, got ${positionals.length}${positionals.length > max ? `: ${positionals.map((p) => printable(JSON.stringify(p), 60)).join(" ")}` : ""}`,
    { hint: `e.g. ${spec.example}` },
  );
}

/** node:util parseArgs, with its errors reworded: unknown flags get "did you mean". */
function parseOrExplain(spec: CommandSpec, argv: string[]) {
  const options = parseArgsOptions(spec);
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (cause) {
    const { code, message } = cause as { code?: string; message: string };
    const hint = { hint: `run bench ${spec.name} --help`, cause };
    const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
    const prefix = `bench ${spec.name}:`;
    if (flag && code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const valid = Object.keys(options).map((o) => `--${o}`);
      throw new BenchError(
        "E_USAGE",
        `${prefix} ${unknownIdMessage("flag", printable(flag), valid)}`,
        hint,
      );
    }
    if (flag && code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      if (/does not take an argument/.test(message))
        throw new BenchError("E_USAGE", `${prefix} ${flag} takes no value`, hint);
      const next = argv[argv.indexOf(flag) + 1];
      if (next === undefined)
        throw new BenchError("E_USAGE", `${prefix} ${flag} needs a value`, hint);
      throw new BenchError(
        "E_USAGE",
        `${prefix} ${flag} needs a value, and ${printable(JSON.stringify(next))} after it starts with a dash`,
        { cause, hint: `write ${flag}=${printable(next)} to pass a value that starts with a dash` },
      );
    }
    throw new BenchError(
      "E_USAGE",
      `${prefix} ${printable(message.replace(/\s*\n\s*/g, " "), 200)}`,
      hint,
    );
  }
}

/** Removes the global flags (before `--`) from argv; they may stand before or after the command. */
export function splitGlobalFlags(argv: string[]): { debug: boolean; rest: string[] } {
  const end = argv.indexOf("--");
  const head = end === -1 ? argv : argv.slice(0, end);
  const tail = end === -1 ? [] : argv.slice(end);
  const isDebug = (arg: string) => arg === "--debug";
  return { debug: head.some(isDebug), rest: [...head.filter((a) => !isDebug(a)), ...tail] };
}

/** `--debug`, else BENCH_DEBUG; throws E_USAGE naming BENCH_DEBUG when it is not a switch. */
export function debugRequested(flag: boolean, env: NodeJS.ProcessEnv): boolean {
  const { debug } = globalOptions;
  const text = env[debug.env];
  return (
    flag ||
    (text !== undefined && text !== "" && debug.parse(text, { kind: "env", name: debug.env }))
  );
}
