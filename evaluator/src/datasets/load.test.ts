import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.ts";
import { BenchError } from "../errors/index.ts";
import { datasetLimits, readJsonl } from "./load.ts";

let root: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir: root, cleanup } = tempDir("bench-jsonl-"));
});
afterAll(() => cleanup());

let counter = 0;
function fileWith(content: string | Uint8Array): string {
  counter += 1;
  const path = join(root, `d${counter}.jsonl`);
  writeFileSync(path, content);
  return path;
}

const label = "suites/x/suite.yaml: $.tasks[0].dataset";
const bytes = (...parts: (string | number[])[]) =>
  Uint8Array.from(
    parts.flatMap((p) => (typeof p === "string" ? [...new TextEncoder().encode(p)] : p)),
  );

function failure(path: string, limits = datasetLimits) {
  try {
    readJsonl(path, label, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(BenchError);
    const { code, message } = error as BenchError;
    return { code, message: message.replaceAll(root, "<tmp>") };
  }
  throw new Error("expected readJsonl to fail");
}

describe("readJsonl", () => {
  it.each([
    [
      "records, blank lines and CRLF",
      '{"q": "a"}\r\n\n  \n{"q": "b", "n": [1, {"x": null}]}\n',
      [{ q: "a" }, { q: "b", n: [1, { x: null }] }],
    ],
    ["no final line feed", '{"q": 1}', [{ q: 1 }]],
    ["an empty file", "", []],
    ["a byte order mark", '\uFEFF{"q": 1}\n', [{ q: 1 }]],
    ["non-Latin text", '{"q": "Вопрос 你好"}\n', [{ q: "Вопрос 你好" }]],
  ])("reads %s", (_, text, expected) => {
    expect(readJsonl(fileWith(text), label)).toEqual(expected);
  });

  it.each([
    [
      "a repeated key",
      '{"q": 1}\n{"q": 1, "a": 2, "q": 3}\n',
      `${label}:2: $.q: is a duplicate key at 1:18 (readers disagree on which value counts; keep one)`,
    ],
    [
      "a repeated nested key",
      '{"q": {"a": 1, "a": 2}}\n',
      `${label}:1: $.q.a: is a duplicate key at 1:16 (readers disagree on which value counts; keep one)`,
    ],
    [
      "a list",
      "[1, 2]\n",
      `${label}:1: is a list, not a JSON object (expected one record per line)`,
    ],
    [
      "a string",
      '"q"\n',
      `${label}:1: is a string, not a JSON object (expected one record per line)`,
    ],
    [
      "null",
      '{"q": 1}\nnull\n',
      `${label}:2: is null, not a JSON object (expected one record per line)`,
    ],
    [
      "malformed JSON",
      '{"q": 1,}\n',
      `${label}:1: is not valid JSON (1:9: unexpected '}', expected a string key)`,
    ],
    [
      "nesting past the limit",
      `{"q": ${"[".repeat(70)}${"]".repeat(70)}}\n`,
      `${label}:1: is not valid JSON (1:70: nests deeper than the limit of 64 levels)`,
    ],
  ])("rejects %s", (_, text, message) => {
    expect(failure(fileWith(text))).toEqual({ code: "E_DATASET", message });
  });

  it.each([
    [
      "a NUL byte",
      bytes('{"q": 1}\n{"q": "', [0], '"}\n'),
      `${label}:2: holds a NUL byte at byte 8 (binary content, not JSON text)`,
    ],
    [
      "Latin-1 bytes",
      bytes('{"q": 1}\n{"q": "caf', [0xe9], '"}\n'),
      `${label}:2: is not valid UTF-8 (byte 0xe9 at byte 11)`,
    ],
    [
      "a gzip file",
      Uint8Array.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00]),
      `${label}:1: holds a NUL byte at byte 4 (binary content, not JSON text)`,
    ],
  ])("rejects %s without echoing the bytes", (_, content, message) => {
    expect(failure(fileWith(content))).toEqual({ code: "E_DATASET", message });
  });

  it("escapes hidden characters in a key it names", () => {
    expect(failure(fileWith('{"a\u202Eb": 1, "a\u202Eb": 2}\n'))).toEqual({
      code: "E_DATASET",
      message: `${label}:1: $["a\\u{202e}b"]: is a duplicate key at 1:12 (readers disagree on which value counts; keep one)`,
    });
  });

  it.each([
    [
      "a line over the line limit",
      `{"q": 1}\n{"q": "${"x".repeat(3000)}"}\n`,
      { ...datasetLimits, maxLineBytes: 2048 },
      `${label}:2: is 2.9 KiB long, over the 2 KiB limit for one record`,
    ],
    [
      "a file over the file limit",
      `${'{"q": 1}\n'.repeat(300)}`,
      { ...datasetLimits, maxFileBytes: 1024 },
      `${label}: is 2.6 KiB, over the 1 KiB limit for a dataset file`,
    ],
  ])("rejects %s", (_, text, limits, message) => {
    expect(failure(fileWith(text), limits)).toEqual({ code: "E_DATASET", message });
  });

  it("rejects a folder as E_NOT_A_FILE", () => {
    mkdirSync(join(root, "folder.jsonl"));
    expect(failure(join(root, "folder.jsonl"))).toEqual({
      code: "E_NOT_A_FILE",
      message: `${label}: is a folder, not a file`,
    });
  });

  it("has documented default limits", () => {
    expect(datasetLimits).toEqual({ maxFileBytes: 256 << 20, maxLineBytes: 1 << 20, maxDepth: 64 });
  });
});
