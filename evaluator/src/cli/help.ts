import type { CommandSpec, OptionSpec } from "./define.ts";
import { commandSpecs, globalOptions, helpOption } from "./options.ts";

const width = 100;

/** `--suite <id|path>`, `-h, --help`. */
export function flagLabel(flag: string, option: OptionSpec): string {
  const short = option.short ? `-${option.short}, ` : "";
  return `${short}--${flag}${option.value ? ` <${option.value}>` : ""}`;
}

/** The default as docs state it, or undefined when there is none worth stating. */
export function defaultLabel(option: OptionSpec): string | undefined {
  if (option.required) return "required";
  if (option.defaultText !== undefined) return option.defaultText;
  if (option.default === undefined || typeof option.default === "function") return undefined;
  return String(option.default);
}

/** `bench eval <manifest> --suite <id|path>`: positionals and required options. */
export function synopsis(spec: CommandSpec): string {
  const parts = [`bench ${spec.name}`];
  for (const p of spec.positionals)
    parts.push(p.variadic ? `[${p.name}…]` : p.required ? `<${p.name}>` : `[${p.name}]`);
  for (const [flag, option] of Object.entries(spec.options))
    if (option.required) parts.push(flagLabel(flag, option));
  return parts.join(" ");
}

function wrap(text: string, indent: number, firstWidth = width - indent): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    const limit = lines.length === 0 ? firstWidth : width - indent;
    if (line && line.length + 1 + word.length > limit) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** Two columns: a label, then the text (lines of it wrapped apart) under its own column. */
function table(rows: [string, string][]): string[] {
  const column = Math.max(...rows.map(([label]) => label.length)) + 4;
  return rows.flatMap(([label, text]) =>
    text
      .split("\n")
      .flatMap((paragraph) => wrap(paragraph, column))
      .map((line, i) =>
        i === 0 ? `  ${label.padEnd(column - 2)}${line}` : `${" ".repeat(column)}${line}`,
      ),
  );
}

function optionText(option: OptionSpec): string {
  const notes: string[] = [];
  const byDefault = defaultLabel(option);
  if (byDefault === "required") notes.push("required");
  else if (byDefault !== undefined) notes.push(`default: ${byDefault}`);
  if (option.env) notes.push(`env: ${option.env}`);
  if (option.relatedEnv) notes.push(`env: ${option.relatedEnv.name} (${option.relatedEnv.note})`);
  return notes.length ? `${option.help}\n${notes.join("; ")}` : option.help;
}

/** `bench <command> --help`. */
export function commandHelp(spec: CommandSpec): string {
  const out = [`Usage: ${synopsis(spec)} [options]`, "", ...wrap(spec.description, 0)];
  if (spec.positionals.length) {
    out.push("", "Arguments:");
    out.push(...table(spec.positionals.map((p) => [`<${p.name}>`, p.help])));
  }
  out.push("", "Options:");
  const options = { ...spec.options, help: helpOption } as Record<string, OptionSpec>;
  out.push(...table(Object.entries(options).map(([f, o]) => [flagLabel(f, o), optionText(o)])));
  if (spec.environment?.length) {
    out.push("", "Environment:");
    out.push(
      ...table(
        spec.environment.map((e) => [
          e.value ? `${e.name}=${e.value}` : e.name,
          e.default ? `${e.help}\ndefault: ${e.default}` : e.help,
        ]),
      ),
    );
  }
  out.push("", "Example:", `  ${spec.example}`);
  return `${out.join("\n")}\n`;
}

/** `bench --help`. */
export function topLevelUsage(): string {
  const rows: [string, string][] = Object.values(commandSpecs).map((c) => [synopsis(c), c.summary]);
  rows.push(["bench <command> --help", "options of one command"]);
  rows.push(["bench --version", "the evaluator's version"]);
  const globals = Object.entries(globalOptions).map(([flag, o]): [string, string] => [
    flagLabel(flag, o),
    optionText(o),
  ]);
  return [
    "bench: benchmark-as-code for open-weight language models",
    "",
    "Usage:",
    ...table(rows),
    "",
    "Global options (before or after the command):",
    ...table(globals),
    "",
  ].join("\n");
}
