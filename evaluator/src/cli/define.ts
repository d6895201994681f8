import { type Stats, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { BenchError } from "../errors/index.ts";
import { printable } from "../pure/text.ts";

/** Where a value came from, so that a problem names the flag or the environment variable. */
export interface ValueSource {
  kind: "flag" | "env";
  /** `--threads` or `BENCH_THREADS`. */
  name: string;
}

/** Turns the text of a flag or variable into a value, or throws an E_USAGE BenchError naming it. */
export type ValueParser<T> = (text: string, source: ValueSource) => T;

/** One option of a command: the single source for parsing, `--help`, the docs and the Action. */
export interface OptionSpec<T = unknown> {
  type: "string" | "boolean";
  /** One-letter alias, `-h`. */
  short?: string;
  /** Name of the value in help and docs: `n` renders `--limit <n>`. */
  value?: string;
  /** Read when the flag is absent: flag, then this variable, then the default. */
  env?: string;
  /**
   * A variable that stands in for the option but is read where it is used rather than parsed
   * here (e.g. `BENCH_SIGNING_KEY` holds PEM text, not a file name); shown in docs only.
   */
  relatedEnv?: { name: string; note: string };
  /** The value when neither flag nor variable is set; a function when it depends on the machine. */
  default?: T | (() => T);
  /** How docs and help state the default when it is not a plain value (`half the cores, ≥ 1`). */
  defaultText?: string;
  required?: boolean;
  help: string;
  /** Strings only; the default accepts any non-empty text. */
  parse?: ValueParser<T>;
}

/** An environment variable that the command's code reads further down (documented, not parsed). */
export interface EnvSpec {
  name: string;
  /** The value that switches it on, shown as `NAME=value`. */
  value?: string;
  default?: string;
  help: string;
}

export interface PositionalSpec {
  name: string;
  required?: boolean;
  /** Takes any number of values (`[paths…]`). */
  variadic?: boolean;
  help: string;
}

export interface CommandSpec<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  name: string;
  /** One line for the top-level usage. */
  summary: string;
  /** Paragraph for `bench <command> --help` and docs/cli.md. */
  description: string;
  positionals: readonly PositionalSpec[];
  options: O;
  environment?: readonly EnvSpec[];
  example: string;
}

/** The parsed value of one option: its parser's type, a boolean for switches. */
export type ValueOf<O> = O extends { type: "boolean" }
  ? boolean
  : O extends { parse: ValueParser<infer T> }
    ? T
    : string;

/** Defaults, required options and switches always have a value; the rest may be absent. */
export type Values<C extends CommandSpec> = {
  -readonly [K in keyof C["options"]]: C["options"][K] extends
    | { type: "boolean" }
    | { default: unknown }
    | { required: true }
    ? ValueOf<C["options"][K]>
    : ValueOf<C["options"][K]> | undefined;
};

/** Identity that keeps the literal types of a command table (citty's `defineCommand`). */
export function defineCommand<const O extends Record<string, OptionSpec>>(
  spec: CommandSpec<O>,
): CommandSpec<O> {
  return spec;
}

/** The E_USAGE error for a bad value, with a hint fitting its source. */
export function badValue(
  source: ValueSource,
  text: string,
  problem: string,
  example: string,
): BenchError {
  // The value is untrusted text (a CI variable, a pasted flag): shown escaped and cut short.
  return new BenchError(
    "E_USAGE",
    `${source.name}: ${printable(JSON.stringify(text))} ${problem}`,
    {
      hint:
        source.kind === "flag"
          ? `pass e.g. ${source.name} ${example}`
          : `set ${source.name} to e.g. ${example}, or unset it`,
    },
  );
}

// More digits than this cannot be in range of any integer option and are not converted at all.
const maxDigits = 10;

/**
 * Whole numbers written as plain decimal digits within [min, max]: no sign, exponent, fraction,
 * hex or spaces; 0 only where `min` is 0. `describeMax` explains the upper bound (`the 8 logical
 * cores of this machine`).
 */
export function integer(
  min: number,
  max: number | (() => number),
  describeMax?: (max: number) => string,
): ValueParser<number> {
  return (text, source) => {
    const upper = typeof max === "function" ? max() : max;
    const example = String(Math.min(Math.max(min, 4), upper));
    const expected = `(expected ${min}..${upper})`;
    if (!/^\d+$/.test(text) || (min > 0 && /^0+$/.test(text)))
      throw badValue(
        source,
        text,
        `is not a ${min > 0 ? "positive" : "non-negative"} integer ${expected}`,
        example,
      );
    const digits = text.replace(/^0+/, "");
    const value = digits.length > maxDigits ? Number.POSITIVE_INFINITY : Number(digits);
    if (value < min) throw badValue(source, text, `is below ${min} ${expected}`, example);
    if (value > upper) {
      const why = describeMax ? `is more than ${describeMax(upper)}` : "is too large";
      throw badValue(source, text, `${why} ${expected}`, example);
    }
    return value;
  };
}

/** A decimal number within [min, max] (above min when `exclusiveMin`). */
export function decimal(
  min: number,
  max: number,
  options: { exclusiveMin?: boolean } = {},
): ValueParser<number> {
  return (text, source) => {
    const expected = `(expected ${options.exclusiveMin ? "above " : ""}${min}..${max})`;
    const value = /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isFinite(value))
      throw badValue(source, text, `is not a decimal number ${expected}`, String(max / 2));
    if (value < min || (options.exclusiveMin && value === min) || value > max)
      throw badValue(source, text, `is out of range ${expected}`, String(max / 2));
    return value;
  };
}

/** One of a fixed list of words, mapped to its value. */
export function oneOf<const K extends string, T>(
  what: string,
  choices: Record<K, T>,
): ValueParser<T> {
  const keys = Object.keys(choices) as K[];
  return (text, source) => {
    if (!Object.hasOwn(choices, text))
      throw badValue(
        source,
        text,
        `is not ${what} (expected one of: ${keys.join(", ")})`,
        keys[0] ?? "",
      );
    return choices[text as K];
  };
}

/** Any text but the empty string. */
export const nonEmpty: ValueParser<string> = (text, source) => {
  if (text === "")
    throw new BenchError("E_USAGE", `${source.name}: the value is empty`, {
      hint: source.kind === "flag" ? `pass a value after ${source.name}` : `unset ${source.name}`,
    });
  return text;
};

/** `1`/`true` and `0`/`false` (any case); for switches set through the environment. */
export const switchValue: ValueParser<boolean> = (text, source) => {
  const lower = text.toLowerCase();
  if (lower === "1" || lower === "true") return true;
  if (lower === "0" || lower === "false") return false;
  throw badValue(source, text, "is not a switch (expected 1 or 0)", "1");
};

function statOrNothing(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return "a folder";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "a device";
  if (stats.isFIFO()) return "a named pipe";
  return "not a regular file";
}

/**
 * A path that, if anything is there, is a regular file of at most `maxBytes` (links followed): a
 * key file, never a folder, a device such as /dev/zero (endless) or a pipe (blocks), which
 * reading would not survive.
 */
export function smallFile(maxBytes: number): ValueParser<string> {
  return (text, source) => {
    nonEmpty(text, source);
    const shown = printable(JSON.stringify(text));
    const stats = statOrNothing(text);
    const fail = (problem: string) =>
      new BenchError("E_USAGE", `${source.name}: ${shown} ${problem}`, {
        hint: `give the path of a file${source.kind === "flag" ? ` after ${source.name}` : ""}`,
      });
    // A missing file is reported by whatever reads it, with its own hint.
    if (!stats) return text;
    if (!stats.isFile()) throw fail(`is ${kindOf(stats)}, not a file`);
    if (stats.size > maxBytes) throw fail(`is ${stats.size} bytes (expected at most ${maxBytes})`);
    return text;
  };
}

/**
 * Throws E_USAGE naming `source` when `path` cannot become a folder: it, or the nearest of its
 * parents that exists, is something other than a folder. Checked before a run, so that a bad
 * BENCH_HOME or --out fails at once with its name instead of deep inside a write.
 */
export function checkFolder(source: ValueSource, path: string): void {
  let current = resolve(path);
  for (;;) {
    const stats = statOrNothing(current);
    if (stats) {
      if (stats.isDirectory()) return;
      const which = current === resolve(path) ? "" : ` (${printable(JSON.stringify(current))})`;
      throw new BenchError(
        "E_USAGE",
        `${source.name}: ${printable(JSON.stringify(path))} cannot be a folder${which}: it is ${stats.isFile() ? "a file" : kindOf(stats)}`,
        {
          hint:
            source.kind === "flag"
              ? `pass a folder after ${source.name}`
              : `set ${source.name} to a folder, or unset it`,
        },
      );
    }
    const parent = dirname(current);
    if (parent === current) return;
    current = parent;
  }
}
