import { formatBytes, readUpTo, statRegularFile } from "../artifacts/contain.ts";
import { BenchError, isBenchError } from "../errors/index.ts";
import { escapeHidden, firstInvalidUtf8 } from "../pure/text.ts";
import { parseStrictJson } from "../result/strict-json.ts";

/** Bounds on a dataset file, whatever its format. */
export interface DatasetLimits {
  /** Largest file, in bytes; a compressed file is bounded both before and after decompression. */
  maxFileBytes: number;
  /** Longest line or record (a CSV row, a JSON record as compact JSON), in bytes. */
  maxLineBytes: number;
  /** Deepest nesting of a record, the record itself being 1. */
  maxDepth: number;
}

export const datasetLimits: DatasetLimits = {
  maxFileBytes: 256 << 20,
  maxLineBytes: 1 << 20,
  maxDepth: 64,
};

/** A file's bytes, within `limits.maxFileBytes`; `shown` is the escaped label. */
export function readPlain(path: string, shown: string, limits: DatasetLimits): Buffer {
  const { size } = statRegularFile(path, shown);
  if (size > limits.maxFileBytes) throw tooBig(shown, size, limits);
  const bytes = readUpTo(path, limits.maxFileBytes);
  if (bytes.length > limits.maxFileBytes) throw tooBig(shown, bytes.length, limits);
  return bytes;
}

function tooBig(shown: string, size: number, limits: DatasetLimits) {
  return new BenchError(
    "E_DATASET",
    `${shown}: is ${formatBytes(size)}, over the ${formatBytes(limits.maxFileBytes)} limit for a dataset file`,
    { hint: "use a smaller dataset, or split it into several tasks" },
  );
}

const fatal = new TextDecoder("utf-8", { fatal: true });

function problem(label: string, line: number, text: string, hint: string, cause?: unknown) {
  return new BenchError("E_DATASET", `${label}:${line}: ${text}`, { hint, cause });
}

/**
 * Records of a JSON Lines file; blank lines are skipped, every other line must be one JSON
 * object of UTF-8 text, with no key repeated, within `limits`. Errors read `label:line: problem`.
 */
export function readJsonl(
  path: string,
  label = path,
  limits: DatasetLimits = datasetLimits,
): Record<string, unknown>[] {
  const shown = escapeHidden(label);
  return parseJsonl(readPlain(path, shown, limits), shown, limits);
}

/** Records of JSON Lines `bytes` (as `readJsonl`); `shown` is the escaped label. */
export function parseJsonl(
  bytes: Uint8Array,
  shown: string,
  limits: DatasetLimits = datasetLimits,
): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  let start = 0;
  for (let number = 1; start < bytes.length; number++) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    const line = bytes.subarray(start, end);
    start = end + 1;
    if (line.length > limits.maxLineBytes) {
      throw problem(
        shown,
        number,
        `is ${formatBytes(line.length)} long, over the ${formatBytes(limits.maxLineBytes)} limit for one record`,
        "keep each record small; long texts belong in fewer, shorter fields",
      );
    }
    const nul = line.indexOf(0);
    if (nul >= 0) {
      throw problem(
        shown,
        number,
        `holds a NUL byte at byte ${nul + 1} (binary content, not JSON text)`,
        "a dataset is JSON Lines text: one JSON object per line",
      );
    }
    let text: string;
    try {
      text = fatal.decode(line);
    } catch {
      const bad = firstInvalidUtf8(line);
      throw problem(
        shown,
        number,
        `is not valid UTF-8 (byte 0x${(line[bad] ?? 0).toString(16).padStart(2, "0")} at byte ${bad + 1})`,
        "save the dataset as UTF-8",
      );
    }
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = parseStrictJson(text, { source: `${shown}:${number}`, maxDepth: limits.maxDepth });
    } catch (cause) {
      if (!isBenchError(cause)) throw cause;
      // The parser names `label:line`; its JSON paths may quote keys, so escape them too.
      throw new BenchError("E_DATASET", escapeHidden(cause.message), {
        hint: "each line is one JSON object, and a key appears at most once in an object",
        cause,
      });
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw problem(
        shown,
        number,
        `is ${describe(value)}, not a JSON object (expected one record per line)`,
        'write each record as an object: {"question": …, "answer": …}',
      );
    }
    records.push(value as Record<string, unknown>);
  }
  return records;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return `a ${typeof value}`;
}
