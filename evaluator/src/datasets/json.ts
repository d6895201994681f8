import { formatBytes } from "../artifacts/contain.ts";
import { BenchError, isBenchError } from "../errors/index.ts";
import { escapeHidden, printable } from "../pure/text.ts";
import { parseStrictJson } from "../result/strict-json.ts";
import type { DatasetLimits } from "./load.ts";

export interface JsonRecordsOptions {
  /** A JSON pointer (RFC 6901) to the records; "" is the whole document. */
  records: string;
  /** When the records are an object's values: the field that receives each key. */
  keyField?: string;
}

function fail(shown: string, text: string, hint: string, cause?: unknown) {
  return new BenchError("E_DATASET", `${shown}: ${text}`, { hint, cause });
}

/** The tokens of a JSON pointer: `/a~1b/0` → `a/b`, `0`. */
export function pointerTokens(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** `$.a[0]["odd key"]`, cut short so that a message never carries much of the input. */
function jsonPath(tokens: readonly (string | number)[]): string {
  let path = "$";
  for (const token of tokens) {
    if (typeof token === "number") path += `[${token}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(token) && token.length <= 64) path += `.${token}`;
    else path += `[${printable(JSON.stringify(token), 66)}]`;
  }
  return escapeHidden(path);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Records of one JSON document: the array that `options.records` points at, or the values of
 * the object it points at, each given its key in `options.keyField`. Within `limits`: the file
 * size, each record's nesting (below the pointer) and size as compact JSON.
 */
export function parseJsonRecords(
  text: string,
  options: JsonRecordsOptions,
  shown: string,
  limits: DatasetLimits,
): Record<string, unknown>[] {
  const tokens = pointerTokens(options.records);
  let document: unknown;
  try {
    // The records sit one level below what the pointer names: the depth limit counts from them.
    document = parseStrictJson(text, {
      source: shown,
      maxDepth: limits.maxDepth + tokens.length + 1,
    });
  } catch (cause) {
    if (!isBenchError(cause)) throw cause;
    throw new BenchError("E_DATASET", escapeHidden(cause.message), {
      hint: "the file is one JSON document, and a key appears at most once in an object",
      cause,
    });
  }
  const pointer = printable(JSON.stringify(options.records), 80);
  let node = document;
  for (const [i, token] of tokens.entries()) {
    const at = jsonPath(tokens.slice(0, i));
    const next = Array.isArray(node)
      ? /^(0|[1-9]\d*)$/.test(token)
        ? node[Number(token)]
        : undefined
      : isRecord(node) && Object.hasOwn(node, token)
        ? node[token]
        : undefined;
    if (next === undefined) {
      throw fail(
        shown,
        `records ${pointer} points nowhere: ${at} is ${describe(node)} with no ${Array.isArray(node) ? "item" : "key"} ${printable(JSON.stringify(token), 40)}`,
        'point records at the array (or object) of records, e.g. /data; "" is the whole document',
      );
    }
    node = next;
  }
  const where = jsonPath(tokens);
  if (Array.isArray(node)) {
    if (options.keyField !== undefined) {
      throw fail(
        shown,
        `records ${pointer} points at an array, so there are no keys for keyField`,
        "drop keyField: it applies when records points at an object of records",
      );
    }
    return node.map((value, i) => checked(value, [...tokens, i], shown, limits));
  }
  if (!isRecord(node)) {
    throw fail(
      shown,
      `records ${pointer} points at ${describe(node)} (${where}), not an array or an object of records`,
      "point records at the array (or object) of records",
    );
  }
  const keyField = options.keyField;
  if (keyField === undefined) {
    throw fail(
      shown,
      `records ${pointer} points at an object (${where}): name the field that receives each record's key`,
      "set keyField, e.g. keyField: id",
    );
  }
  const object = node;
  return keysInOrder(text, tokens).map((key) => {
    const record = checked(object[key], [...tokens, key], shown, limits);
    if (Object.hasOwn(record, keyField)) {
      throw fail(
        shown,
        `${jsonPath([...tokens, key])}: already has a field ${printable(JSON.stringify(keyField), 40)}, which keyField would overwrite`,
        "choose a keyField that no record uses",
      );
    }
    return { [keyField]: key, ...record };
  });
}

function checked(
  value: unknown,
  path: readonly (string | number)[],
  shown: string,
  limits: DatasetLimits,
): Record<string, unknown> {
  if (!isRecord(value)) {
    throw fail(
      shown,
      `${jsonPath(path)}: is ${describe(value)}, not a JSON object (expected one record)`,
      'write each record as an object: {"question": …, "answer": …}',
    );
  }
  const size = Buffer.byteLength(JSON.stringify(value), "utf8");
  if (size > limits.maxLineBytes) {
    throw fail(
      shown,
      `${jsonPath(path)}: is ${formatBytes(size)} as compact JSON, over the ${formatBytes(limits.maxLineBytes)} limit for one record`,
      "keep each record small; long texts belong in fewer, shorter fields",
    );
  }
  return value;
}

/**
 * The keys of the object that `tokens` point at, in the order the text has them: a JavaScript
 * object lists integer-like keys (PubMedQA's ids) in numeric order, and records keep the file's.
 * `text` is JSON that parseStrictJson accepted, and the pointer resolved to an object.
 */
function keysInOrder(text: string, tokens: readonly string[]): string[] {
  let pos = 0;
  const space = () => {
    while (pos < text.length && " \t\n\r".includes(text[pos] as string)) pos += 1;
  };
  const skipString = () => {
    pos += 1;
    for (;;) {
      const c = text[pos];
      if (c === "\\") pos += 2;
      else {
        pos += 1;
        if (c === '"') return;
      }
    }
  };
  const readString = (): string => {
    const start = pos;
    skipString();
    return JSON.parse(text.slice(start, pos)) as string;
  };
  const skipValue = () => {
    space();
    const first = text[pos];
    if (first === '"') return skipString();
    if (first === "{" || first === "[") {
      let depth = 0;
      do {
        const c = text[pos];
        if (c === '"') {
          skipString();
          continue;
        }
        if (c === "{" || c === "[") depth += 1;
        else if (c === "}" || c === "]") depth -= 1;
        pos += 1;
      } while (depth > 0);
      return;
    }
    while (pos < text.length && !",}] \t\n\r".includes(text[pos] as string)) pos += 1;
  };
  /** From `{` or `[` (after white space) to the start of the member that `token` names. */
  const enter = (token: string) => {
    space();
    const array = text[pos] === "[";
    pos += 1;
    for (let index = 0; ; index++) {
      space();
      if (array) {
        if (index === Number(token)) return;
      } else {
        const key = readString();
        space();
        pos += 1; // ':'
        if (key === token) return;
      }
      skipValue();
      space();
      pos += 1; // ','
    }
  };
  for (const token of tokens) enter(token);
  const keys: string[] = [];
  space();
  pos += 1; // '{'
  space();
  while (text[pos] === '"') {
    keys.push(readString());
    space();
    pos += 1; // ':'
    skipValue();
    space();
    if (text[pos] === ",") pos += 1;
    space();
  }
  return keys;
}
