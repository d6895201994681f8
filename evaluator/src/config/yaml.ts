import { relative, sep } from "node:path";
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
} from "yaml";
import { formatBytes, readUpTo, statRegularFile } from "../artifacts/contain.ts";
import { BenchError } from "../errors/index.ts";
import { escapeHidden, findForbiddenCharacter, firstInvalidUtf8, printable } from "../pure/text.ts";

export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return (rel.startsWith("..") ? file : rel).split(sep).join("/");
}

/** Parse limits for manifests and suites: hand-written files far below all of them. */
export interface YamlLimits {
  /** Largest file, in bytes. */
  maxBytes: number;
  /** Deepest nesting of mappings and lists, the top-level mapping being 1. */
  maxDepth: number;
  /** yaml's alias budget (roughly: alias uses times the nodes they copy). */
  maxAliasCount: number;
}

export const yamlLimits: YamlLimits = { maxBytes: 256 << 10, maxDepth: 64, maxAliasCount: 100 };

/** At most this many problems are listed, then a count of the rest. */
const maxListed = 20;

// Plain data only: the YAML 1.2 core schema's own tags.
const coreTags = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`),
);

function fail(lines: string[], hint: string, code: "E_YAML" | "E_INVALID" = "E_YAML"): never {
  const shown = lines.slice(0, maxListed);
  if (lines.length > maxListed) shown.push(`… and ${lines.length - maxListed} more`);
  throw new BenchError(code, shown.join("\n"), { hint });
}

/** 1-based line and column (in bytes) of a byte offset. */
function bytePosition(bytes: Uint8Array, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line += 1;
      start = i + 1;
    }
  }
  return `${line}:${offset - start + 1}`;
}

/** `!!js/function` for `tag:yaml.org,2002:js/function`, other tags as written. */
function shortTag(tag: string): string {
  return printable(tag.replace(/^tag:yaml\.org,2002:/, "!!"), 40);
}

/** Explicit tags other than the core ones, and nesting past the limit, found without recursion. */
function checkNodes(root: Node, lines: LineCounter, label: string, maxDepth: number): string[] {
  const problems: string[] = [];
  const at = (node: Node) => {
    const pos = lines.linePos(node.range?.[0] ?? 0);
    return `${label}:${pos.line}:${pos.col}`;
  };
  const stack: [Node, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [Node, number];
    if (node.tag !== undefined && !coreTags.has(node.tag)) {
      problems.push(
        `${at(node)}: the tag ${shortTag(node.tag)} is not allowed (only plain data: mappings, lists, strings, numbers, booleans, null)`,
      );
    }
    if (isMap(node) || isSeq(node)) {
      if (depth > maxDepth) {
        problems.push(`${at(node)}: nesting is deeper than ${maxDepth} levels`);
        continue;
      }
      const children: Node[] = [];
      if (isMap(node)) {
        const seen = new Set<unknown>();
        for (const item of node.items) {
          const key = isPair(item) && isScalar(item.key) ? item.key : undefined;
          if (key === undefined) continue;
          if (seen.has(key.value)) {
            problems.push(`${at(key)}: YAML syntax error: Map keys must be unique`);
          }
          seen.add(key.value);
        }
      }
      for (const item of node.items) {
        for (const child of isPair(item) ? [item.key, item.value] : [item]) {
          if (isScalar(child) || isMap(child) || isSeq(child) || isAlias(child))
            children.push(child);
        }
      }
      // Reversed, so that problems come out in document order.
      for (const child of children.reverse()) stack.push([child, depth + 1]);
    }
  }
  return problems;
}

/** `.name` or `["odd key"]`: one step of a JSON path. */
function pathStep(key: string | number): string {
  if (typeof key === "number") return `[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${printable(JSON.stringify(key), 60)}]`;
}

/** Forbidden characters in keys and strings, and nesting past the limit once aliases are expanded. */
function checkData(data: unknown, label: string, maxDepth: number): string[] {
  const problems: string[] = [];
  const check = (text: string, where: string, what: string) => {
    const found = findForbiddenCharacter(text);
    if (found) {
      problems.push(
        `${label}: ${where}: ${what} contains ${found.description} at character ${found.index + 1}`,
      );
    }
  };
  const stack: [unknown, string, number][] = [[data, "$", 1]];
  while (stack.length > 0 && problems.length <= maxListed) {
    const [value, path, depth] = stack.pop() as [unknown, string, number];
    if (typeof value === "string") check(value, path, "the text");
    if (value === null || typeof value !== "object") continue;
    if (depth > maxDepth) {
      problems.push(`${label}: ${path}: nesting is deeper than ${maxDepth} levels`);
      continue;
    }
    const entries = Array.isArray(value) ? value.entries() : Object.entries(value);
    const children: [unknown, string, number][] = [];
    for (const [key, child] of entries) {
      if (typeof key === "string") check(key, path, `the key ${printable(JSON.stringify(key))}`);
      children.push([child, path + pathStep(key), depth + 1]);
    }
    stack.push(...children.reverse());
  }
  return problems;
}

function describeTop(document: Document): string {
  const top = document.contents;
  if (isSeq(top)) return "a list";
  if (isAlias(top)) return "an alias";
  if (isScalar(top)) return top.value === null ? "null" : `a ${typeof top.value}`;
  return "not a mapping";
}

/**
 * Reads a manifest or suite: one UTF-8 YAML document whose top level is a mapping, within
 * `limits`, holding plain data only (no tags but the core ones) and no bidirectional controls or
 * control characters in any key or string. Every problem is one line naming the file and the
 * line:column or JSON path; syntax errors read `file:line:col: YAML syntax error: …`.
 */
export function readYaml(
  file: string,
  limits: YamlLimits = yamlLimits,
): { data: Record<string, unknown>; text: string } {
  const label = escapeHidden(displayPath(file));
  const stats = statRegularFile(file, label);
  const tooBig = (size: number) =>
    fail(
      [`${label}: is ${formatBytes(size)}, over the ${formatBytes(limits.maxBytes)} limit`],
      "manifests and suites are small hand-written files; keep data in datasets",
    );
  if (stats.size > limits.maxBytes) tooBig(stats.size);
  const bytes = readUpTo(file, limits.maxBytes);
  if (bytes.length > limits.maxBytes) tooBig(bytes.length);
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    fail(
      [`${label}:${bytePosition(bytes, nul)}: holds a NUL byte (binary content, not YAML text)`],
      "give the path of a YAML text file",
    );
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    fail(
      [
        `${label}:${bytePosition(bytes, bad)}: is not valid UTF-8 (byte 0x${(bytes[bad] as number).toString(16).padStart(2, "0")})`,
      ],
      "save the file as UTF-8",
    );
  }
  const text = new TextDecoder("utf-8").decode(bytes);
  const lineCounter = new LineCounter();
  const documents = // yaml's own uniqueKeys check compares every pair of keys (quadratic): checkNodes does it
    // with a set instead.
    parseAllDocuments(text, { prettyErrors: true, uniqueKeys: false, lineCounter });
  const errors = documents.flatMap((document) => document.errors);
  // yaml reports running out of stack as an error, at a place that depends on the stack size.
  if (errors.some((error) => error.message.startsWith("Maximum call stack"))) {
    fail(
      [`${label}: nesting is deeper than ${limits.maxDepth} levels`],
      `write plain YAML data: no tags, at most ${limits.maxDepth} levels deep`,
    );
  }
  if (errors.length > 0) {
    fail(
      errors.map((error) => {
        const at = error.linePos?.[0];
        const first = error.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "");
        return `${label}${at ? `:${at.line}:${at.col}` : ""}: YAML syntax error: ${printable(first ?? "", 160)}`;
      }),
      "fix the YAML syntax; the schema is checked after that",
    );
  }
  const empty = "a manifest or suite is a mapping of fields (`id: …`, `name: …`)";
  const document = documents[0];
  const top = document?.contents;
  // `---` alone parses as an empty null scalar.
  if (!document || !top || (isScalar(top) && top.range?.[0] === top.range?.[1])) {
    fail([`${label}: is empty (only blanks or comments)`], empty);
  }
  if (documents.length > 1) {
    const pos = lineCounter.linePos(documents[1]?.range[0] ?? 0);
    fail(
      [
        `${label}:${pos.line}:${pos.col}: a second YAML document starts here (expected one document per file)`,
      ],
      "remove the `---` line, or split the documents into separate files",
    );
  }
  const nodes = checkNodes(document.contents as Node, lineCounter, label, limits.maxDepth);
  if (nodes.length > 0)
    fail(nodes, `write plain YAML data: no tags, at most ${limits.maxDepth} levels deep`);
  if (!isMap(document.contents)) {
    fail(
      [`${label}: the top level is ${describeTop(document)} (expected a mapping of fields)`],
      empty,
    );
  }
  let data: Record<string, unknown>;
  try {
    data = document.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (cause) {
    const message = (cause as Error).message;
    fail(
      [
        message.startsWith("Excessive alias count")
          ? `${label}: expands aliases too often (over the budget of ${limits.maxAliasCount}, as a "billion laughs" file does)`
          : `${label}: YAML error: ${printable(message, 160)}`,
      ],
      "write the values out instead of repeating aliases (*name) of large anchors",
    );
  }
  const characters = checkData(data, label, limits.maxDepth);
  if (characters.length > 0) {
    fail(
      characters,
      "delete the character (editors may not show it); bidirectional and control characters can make text read differently from what it is",
      "E_INVALID",
    );
  }
  return { data, text };
}
