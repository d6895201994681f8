import { existsSync, readFileSync } from "node:fs";
import { relative, sep } from "node:path";
import { parseDocument } from "yaml";
import { BenchError } from "../errors/index.ts";

export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return (rel.startsWith("..") ? file : rel).split(sep).join("/");
}

/** Parses a YAML file into plain data; syntax errors name file, line and column. */
export function readYaml(file: string): { data: unknown; text: string } {
  const label = displayPath(file);
  if (!existsSync(file)) throw new BenchError("E_NOT_FOUND", `${label}: no such file`);
  const text = readFileSync(file, "utf8");
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const lines = document.errors.map((error) => {
      const at = error.linePos?.[0];
      return `${label}${at ? `:${at.line}:${at.col}` : ""}: YAML syntax error: ${error.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "")}`;
    });
    throw new BenchError("E_YAML", lines.join("\n"), {
      hint: "fix the YAML syntax; the schema is checked after that",
    });
  }
  return { data: document.toJS({ maxAliasCount: 100 }), text };
}
