import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.ts";
import { BenchError } from "../errors/index.ts";
import { type DatasetLimits, datasetLimits } from "./load.ts";
import { type DatasetDeclaration, readDataset } from "./read.ts";

let root: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir: root, cleanup } = tempDir("bench-dataset-"));
});
afterAll(() => cleanup());

let counter = 0;
/** Writes `content` under a fresh folder as `name`, so the name's extension is what a test sets. */
function fileWith(name: string, content: string | Uint8Array): string {
  counter += 1;
  const path = join(root, `${counter}-${name}`);
  writeFileSync(path, content);
  return path;
}

const label = "suites/x/suite.yaml: $.tasks[0].dataset";
const base64 = (text: string) => Buffer.from(text, "base64");
const gzip = (text: string | Buffer) => gzipSync(text);
/** `bzip2 -9` of a one-item HellaSwag file (below). */
const hellaswagBz2 = base64(
  "QlpoOTFBWSZTWU/zy/4AAArfgAAQQAEIECAAEAA/Y5gAIAAxTCaaA0xBppNCZqY1NqO9cZfFYKZV5836dKR8UuBDAdDIbwAopPVn8XckU4UJBP88v+A=",
);
/** `bzip2 -9` of `q,a\r\n"1,5",x\r\n`. */
const csvBz2 = base64(
  "QlpoOTFBWSZTWSsgQ5MAAAZZgAASEAQiACAAIEAgACGmjRkIMmII6NOMQI+LuSKcKEgVkCHJgA==",
);
/** `bzip2 -9` of 1 MiB of the letter a: 57 bytes. */
const bz2Bomb = base64("QlpoOTFBWSZTWZ/6i7UACApBAIAEIAAACCAAMMwFSepxBgFAYB4u5IpwoSE/9Rdq");
const hellaswagItem = "Roof: A man is on a roof. he\n3\nend a\nend b\nend c\nend d\n";
const hellaswagRecord = {
  context: "Roof: A man is on a roof. he",
  label: 3,
  endings: ["end a", "end b", "end c", "end d"],
};
const mmluColumns: [string, ...string[]] = ["question", "A", "B", "C", "D", "answer"];

const jsonl = { format: "jsonl" } as const;
const json = { format: "json" } as const;
const csv = { format: "csv", header: true } as const;
const tsv = { format: "tsv", header: true } as const;
const hellaswag = { format: "hellaswag-llamacpp" } as const;

describe("readDataset reads each format as published", () => {
  it.each<[string, string, string | Uint8Array, DatasetDeclaration, unknown[]]>([
    ["JSON Lines", "d.jsonl", '{"q": 1}\n\n{"q": "b"}\n', jsonl, [{ q: 1 }, { q: "b" }]],
    ["gzip JSON Lines by extension", "d.jsonl.gz", gzip('{"q": 1}\n'), jsonl, [{ q: 1 }]],
    [
      "gzip named by fileName",
      "blob",
      gzip('{"q": 1}\n'),
      { ...jsonl, fileName: "HumanEval.jsonl.gz" },
      [{ q: 1 }],
    ],
    [
      "gzip named by the url",
      "blob",
      gzip('{"q": 1}\n'),
      { ...jsonl, url: "https://example.org/data/test.jsonl.gz?raw=1" },
      [{ q: 1 }],
    ],
    [
      "explicit compression over the extension",
      "d.jsonl",
      gzip('{"q": 1}\n'),
      { ...jsonl, compression: "gzip" },
      [{ q: 1 }],
    ],
    [
      "an uncompressed file named .gz with compression: none",
      "d.jsonl.gz",
      '{"q": 1}\n',
      { ...jsonl, compression: "none" },
      [{ q: 1 }],
    ],
    [
      "concatenated gzip members",
      "d.jsonl.gz",
      Buffer.concat([gzip('{"q": 1}\n'), gzip('{"q": 2}\n')]),
      jsonl,
      [{ q: 1 }, { q: 2 }],
    ],
    ["a JSON array", "d.json", '[{"q": 1}, {"q": 2}]', json, [{ q: 1 }, { q: 2 }]],
    [
      "a JSON pointer to a nested array",
      "d.json",
      '{"version": 2, "data": {"a/b": [{"q": 1}]}}',
      { ...json, records: "/data/a~1b" },
      [{ q: 1 }],
    ],
    [
      "a JSON pointer through an array index",
      "d.json",
      '[{"rows": [{"q": 1}]}]',
      { ...json, records: "/0/rows" },
      [{ q: 1 }],
    ],
    [
      "a JSON object keyed by id, the key in keyField, in the file's order",
      "d.json",
      '{"101": {"q": "a"}, "7": {"q": "b", "n": [1]}}',
      { ...json, keyField: "id" },
      [
        { id: "101", q: "a" },
        { id: "7", q: "b", n: [1] },
      ],
    ],
    [
      "a JSON pointer to an object past strings that hold quotes and brackets",
      "d.json",
      String.raw`{"skip": {"a": "x\"}]\\", "b": [1, {"c": "]"}, []]}, "data" : { "2" : {"q": 1} , "1": {"q": 2}}}`,
      { ...json, records: "/data", keyField: "id" },
      [
        { id: "2", q: 1 },
        { id: "1", q: 2 },
      ],
    ],
    [
      "a JSON pointer through an array to an object",
      "d.json",
      '[{"x": [{}]}, {"rows": {"b": {"q": 1}, "a\\u0041": {"q": 2}}}]',
      { ...json, records: "/1/rows", keyField: "id" },
      [
        { id: "b", q: 1 },
        { id: "aA", q: 2 },
      ],
    ],
    [
      "gzip JSON",
      "d.json.gz",
      gzip('{"rows": [{"q": 1}]}'),
      { ...json, records: "/rows" },
      [{ q: 1 }],
    ],
    [
      "CSV with a header: RFC 4180 quoting, CRLF, a blank line, strings kept",
      "d.csv",
      'q,a,n\r\n"1, 2, 3","say ""hi""",007\r\n\r\n"two\r\nlines",,1.50\r\n',
      csv,
      [
        { q: "1, 2, 3", a: 'say "hi"', n: "007" },
        { q: "two\r\nlines", a: "", n: "1.50" },
      ],
    ],
    [
      "CSV without a final line break and with a byte order mark",
      "d.csv",
      '\uFEFFq,a\n"x",y',
      csv,
      [{ q: "x", a: "y" }],
    ],
    [
      "CSV: a quote inside an unquoted field stays as it is",
      "d.csv",
      'q\n5" disk\n',
      csv,
      [{ q: '5" disk' }],
    ],
    [
      "CSV: an empty quoted field is a row, a blank line is not",
      "d.csv",
      'q\n""\n\nx\n',
      csv,
      [{ q: "" }, { q: "x" }],
    ],
    [
      "headerless CSV with declared columns (MMLU)",
      "d.csv",
      'What is 2+2?,3,4,5,"6, or 7",B\n',
      { format: "csv", header: false, columns: mmluColumns },
      [{ question: "What is 2+2?", A: "3", B: "4", C: "5", D: "6, or 7", answer: "B" }],
    ],
    [
      "a header row renamed by columns",
      "d.csv",
      "Best Answer,Type\nx,y\n",
      { format: "csv", header: true, columns: ["best", "type"] },
      [{ best: "x", type: "y" }],
    ],
    [
      "TSV with a header and a quoted tab",
      "d.tsv",
      'label\ttext\nYes\t"a\tb"\nNo\tplain, with comma\n',
      tsv,
      [
        { label: "Yes", text: "a\tb" },
        { label: "No", text: "plain, with comma" },
      ],
    ],
    ["bzip2 CSV", "d.csv.bz2", csvBz2, csv, [{ q: "1,5", a: "x" }]],
    ["llama.cpp HellaSwag text", "h.txt", hellaswagItem, hellaswag, [hellaswagRecord]],
    [
      "llama.cpp HellaSwag text with CRLF and no final line break",
      "h.txt",
      `${hellaswagItem}${hellaswagItem}`.replaceAll("\n", "\r\n").slice(0, -2),
      hellaswag,
      [hellaswagRecord, hellaswagRecord],
    ],
    ["bzip2 llama.cpp HellaSwag", "h.txt.bz2", hellaswagBz2, hellaswag, [hellaswagRecord]],
    [
      "concatenated bzip2 streams",
      "h.txt.bz2",
      Buffer.concat([hellaswagBz2, hellaswagBz2]),
      hellaswag,
      [hellaswagRecord, hellaswagRecord],
    ],
    ["an empty CSV", "d.csv", "", csv, []],
    ["an empty gzip", "d.jsonl.gz", gzip(""), jsonl, []],
  ])("%s", (_, name, content, declaration, expected) => {
    expect(readDataset(fileWith(name, content), declaration, label)).toEqual(expected);
  });

  it("keeps a column named __proto__ as a plain field", () => {
    const [record] = readDataset(fileWith("d.csv", "__proto__,q\nx,y\n"), csv, label);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.entries(record ?? {})).toEqual([
      ["__proto__", "x"],
      ["q", "y"],
    ]);
  });
});

const small: DatasetLimits = { ...datasetLimits, maxFileBytes: 64 << 10 };

function failure(path: string, declaration: DatasetDeclaration, limits = datasetLimits) {
  try {
    readDataset(path, declaration, label, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(BenchError);
    const { code, message, hint } = error as BenchError;
    return { code, message: message.replaceAll(root, "<tmp>"), hint };
  }
  throw new Error("expected readDataset to fail");
}

describe("readDataset refuses hostile and malformed files", () => {
  it.each<[string, string, string | Uint8Array, DatasetDeclaration, DatasetLimits, string, string]>(
    [
      [
        "a gzip bomb over the limit",
        "d.jsonl.gz",
        gzip(Buffer.alloc(8 << 20, "a")),
        jsonl,
        small,
        `${label}: decompresses to more than the 64 KiB limit for a dataset file`,
        "use a smaller dataset, or split it into several tasks",
      ],
      [
        "a bzip2 bomb over the limit",
        "h.txt.bz2",
        bz2Bomb,
        hellaswag,
        small,
        `${label}: decompresses to more than the 64 KiB limit for a dataset file`,
        "use a smaller dataset, or split it into several tasks",
      ],
      [
        "a compressed file over the file limit",
        "d.jsonl.gz",
        Buffer.alloc(70 << 10, 1),
        jsonl,
        small,
        `${label}: is 70 KiB, over the 64 KiB limit for a dataset file`,
        "use a smaller dataset, or split it into several tasks",
      ],
      [
        "a truncated gzip",
        "d.jsonl.gz",
        gzip('{"q": 1}\n'.repeat(50)).subarray(0, 20),
        jsonl,
        datasetLimits,
        `${label}: is not valid gzip (unexpected end of file)`,
        "the file is damaged or cut short: fetch it again and check its sha256",
      ],
      [
        "plain text declared gzip",
        "d.jsonl.gz",
        '{"q": 1}\n',
        jsonl,
        datasetLimits,
        `${label}: is not valid gzip (incorrect header check)`,
        "the file is not compressed: set compression: none",
      ],
      [
        "a bz2 that is not bzip2",
        "d.csv.bz2",
        "q,a\n1,2\n",
        csv,
        datasetLimits,
        `${label}: is not valid bz2 (Not bzip data: bad magic)`,
        "the file is not compressed: set compression: none",
      ],
      [
        "gzip declared bz2",
        "d.csv",
        gzip("q\n1\n"),
        { ...csv, compression: "bz2" },
        datasetLimits,
        `${label}: is not valid bz2 (Not bzip data: bad magic)`,
        "the file looks like gzip: set compression: gzip",
      ],
      [
        "a truncated bzip2",
        "h.txt.bz2",
        hellaswagBz2.subarray(0, hellaswagBz2.length - 4),
        hellaswag,
        datasetLimits,
        `${label}: is not valid bz2 (the file ends inside a stream)`,
        "the file is damaged or cut short: fetch it again and check its sha256",
      ],
      [
        "a bzip2 with a flipped byte",
        "h.txt.bz2",
        Buffer.from(hellaswagBz2).map((byte, i) => (i === 40 ? byte ^ 0xff : byte)),
        hellaswag,
        datasetLimits,
        `${label}: is not valid bz2 (Data error)`,
        "the file is damaged or cut short: fetch it again and check its sha256",
      ],
      [
        "gzip data read as uncompressed",
        "d.jsonl",
        gzip('{"q": 1}\n'),
        jsonl,
        datasetLimits,
        `${label}: is gzip data, but the declaration reads it uncompressed`,
        "set compression: gzip, or name the file with its .gz or .bz2 extension",
      ],
    ],
  )("%s", (_, name, content, declaration, limits, message, hint) => {
    expect(failure(fileWith(name, content), declaration, limits)).toEqual({
      code: "E_DATASET",
      message,
      hint,
    });
  });

  it.each<[string, string, string | Uint8Array, DatasetDeclaration, string]>([
    [
      "a CSV with an unterminated quote",
      "d.csv",
      'q,a\n1,2\n"open,3\n4,5\n',
      csv,
      `${label}:3: field 1 opens a quote that is never closed`,
    ],
    [
      "a CSV with text after a closing quote",
      "d.csv",
      'q,a\n"a\nb"c,2\n',
      csv,
      `${label}:3: field 1 has text after its closing quote`,
    ],
    [
      "a CSV row with too few fields, after a multi-line field",
      "d.csv",
      'q,a\n"x\ny",1\nonly\n',
      csv,
      `${label}:4: has 1 field, expected 2 (the header row's columns)`,
    ],
    [
      "a headerless CSV row with too many fields",
      "d.csv",
      "a,b,c,d,e,f,g\n",
      { format: "csv", header: false, columns: mmluColumns },
      `${label}:1: has 7 fields, expected 6 (the declared columns)`,
    ],
    [
      "a header that repeats a name",
      "d.csv",
      "q,a,q\n1,2,3\n",
      csv,
      `${label}:1: header column 3 repeats the name "q"`,
    ],
    [
      "a header with an empty name",
      "d.tsv",
      "q\t\n1\t2\n",
      tsv,
      `${label}:1: header column 2 has no name`,
    ],
    [
      "a header row that does not match the declared columns",
      "d.csv",
      "q,a,b\n1,2,3\n",
      { format: "csv", header: true, columns: ["x", "y"] },
      `${label}:1: the header row has 3 fields, but 2 columns are named`,
    ],
    [
      "an unknown format",
      "d.xml",
      "<q/>",
      { format: "xml" } as unknown as DatasetDeclaration,
      `${label}: the format "xml" is unknown (expected one of: jsonl, json, csv, tsv, hellaswag-llamacpp)`,
    ],
    [
      "a CSV with neither header nor columns",
      "d.csv",
      "q\n",
      { format: "csv" },
      `${label}: declares neither header nor columns for a csv file`,
    ],
    [
      "a CSV with a NUL byte",
      "d.csv",
      Buffer.from("q\nab\0c\n"),
      csv,
      `${label}:2: holds a NUL byte at byte 3 (binary content, not CSV text)`,
    ],
    [
      "a TSV that is not UTF-8",
      "d.tsv",
      Buffer.from([...Buffer.from("q\nok\ncaf"), 0xe9, 0x0a]),
      tsv,
      `${label}:3: is not valid UTF-8 (byte 0xe9 at byte 4)`,
    ],
    [
      "a JSON pointer that points nowhere",
      "d.json",
      '{"data": {"rows": []}}',
      { ...json, records: "/data/row" },
      `${label}: records "/data/row" points nowhere: $.data is an object with no key "row"`,
    ],
    [
      "a JSON pointer past the end of an array",
      "d.json",
      "[[]]",
      { ...json, records: "/1" },
      `${label}: records "/1" points nowhere: $ is an array with no item "1"`,
    ],
    [
      "a JSON pointer at a string",
      "d.json",
      '{"data": "rows"}',
      { ...json, records: "/data" },
      `${label}: records "/data" points at a string ($.data), not an array or an object of records`,
    ],
    [
      "a JSON object of records without keyField",
      "d.json",
      '{"1": {"q": 1}}',
      json,
      `${label}: records "" points at an object ($): name the field that receives each record's key`,
    ],
    [
      "keyField on an array",
      "d.json",
      '[{"q": 1}]',
      { ...json, keyField: "id" },
      `${label}: records "" points at an array, so there are no keys for keyField`,
    ],
    [
      "keyField that a record already has",
      "d.json",
      '{"7": {"id": 1}}',
      { ...json, keyField: "id" },
      `${label}: $["7"]: already has a field "id", which keyField would overwrite`,
    ],
    [
      "a JSON record that is not an object",
      "d.json",
      '{"rows": [{"q": 1}, "two"]}',
      { ...json, records: "/rows" },
      `${label}: $.rows[1]: is a string, not a JSON object (expected one record)`,
    ],
    [
      "an object of labels, not records (PubMedQA's test_ground_truth.json)",
      "d.json",
      '{"12345": "yes"}',
      { ...json, keyField: "id" },
      `${label}: $["12345"]: is a string, not a JSON object (expected one record)`,
    ],
    [
      "malformed JSON",
      "d.json",
      '[\n{"q": 1},\n]',
      json,
      `${label}: is not valid JSON (3:1: unexpected ']', expected a value)`,
    ],
    [
      "a JSON key repeated",
      "d.json",
      '[{"q": 1, "q": 2}]',
      json,
      `${label}: $[0].q: is a duplicate key at 1:11 (readers disagree on which value counts; keep one)`,
    ],
    [
      "a HellaSwag file whose line count is not a multiple of 6",
      "h.txt",
      `${hellaswagItem}extra\n`,
      hellaswag,
      `${label}:7: has 7 lines, not a multiple of 6 (item 2 has only 1)`,
    ],
    [
      "a HellaSwag gold index out of range",
      "h.txt",
      `${hellaswagItem}${hellaswagItem.replace("\n3\n", "\n4\n")}`,
      hellaswag,
      `${label}:8: the gold index "4" is not 0, 1, 2 or 3 (item 2)`,
    ],
    [
      "a HellaSwag file shifted by one line",
      "h.txt",
      `title\n${hellaswagItem.repeat(2)}`,
      hellaswag,
      `${label}:2: the gold index "Roof: A man is on a …" is not 0, 1, 2 or 3 (item 1)`,
    ],
  ])("%s", (_, name, content, declaration, message) => {
    const { code, message: actual } = failure(fileWith(name, content), declaration);
    expect({ code, message: actual }).toEqual({ code: "E_DATASET", message });
  });

  it.each<[string, string, string, DatasetDeclaration, DatasetLimits, string]>([
    [
      "a CSV row over the line limit",
      "d.csv",
      `q\nshort\n"${"x\n".repeat(1500)}"\n`,
      csv,
      { ...datasetLimits, maxLineBytes: 2048 },
      `${label}:3: is 2.9 KiB long, over the 2 KiB limit for one record`,
    ],
    [
      "a JSON record over the line limit",
      "d.json",
      `[{"q": 1}, {"q": "${"x".repeat(3000)}"}]`,
      json,
      { ...datasetLimits, maxLineBytes: 2048 },
      `${label}: $[1]: is 2.9 KiB as compact JSON, over the 2 KiB limit for one record`,
    ],
    [
      "a JSON record nested past the limit below the pointer",
      "d.json",
      `{"rows": [{"q": ${"[".repeat(4)}${"]".repeat(4)}}]}`,
      { ...json, records: "/rows" },
      { ...datasetLimits, maxDepth: 4 },
      `${label}: is not valid JSON (1:20: nests deeper than the limit of 6 levels)`,
    ],
    [
      "a HellaSwag line over the line limit",
      "h.txt",
      `${"x".repeat(3000)}\n3\na\nb\nc\nd\n`,
      hellaswag,
      { ...datasetLimits, maxLineBytes: 2048 },
      `${label}:1: is 2.9 KiB long, over the 2 KiB limit for one line`,
    ],
  ])("%s", (_, name, content, declaration, limits, message) => {
    const { code, message: actual } = failure(fileWith(name, content), declaration, limits);
    expect({ code, message: actual }).toEqual({ code: "E_DATASET", message });
  });

  it("allows a record nested exactly to the limit below the pointer", () => {
    const path = fileWith("d.json", `{"rows": [{"q": ${"[".repeat(3)}${"]".repeat(3)}}]}`);
    expect(
      readDataset(path, { ...json, records: "/rows" }, label, { ...datasetLimits, maxDepth: 4 }),
    ).toEqual([{ q: [[[]]] }]);
  });

  it("escapes hidden characters in a label and a key it names", () => {
    const path = fileWith("d.json", '{"a\u202Eb": {"q": 1}}');
    try {
      readDataset(path, { ...json, records: "/x\u202E" }, "suite\u202E.yaml");
      expect.unreachable();
    } catch (error) {
      expect((error as BenchError).message).toBe(
        'suite\\u{202e}.yaml: records "/x\\u{202e}" points nowhere: $ is an object with no key "x\\u{202e}"',
      );
    }
  });
});

describe("expand makes each item of a record's list a record", () => {
  // TAT-QA's shape: a table and paragraphs, then the questions asked of them.
  const tatqa = JSON.stringify([
    { table: { uid: "t1" }, paragraphs: ["p"], questions: [{ uid: "q1" }, { uid: "q2" }] },
    { table: { uid: "t2" }, paragraphs: [], questions: [] },
    { table: { uid: "t3" }, paragraphs: ["r"], questions: [{ uid: "q3", answer: [1] }] },
  ]);
  const declaration: DatasetDeclaration = { format: "json", expand: "questions" };

  it("keeps the record's other fields beside each item's, in order", () => {
    expect(readDataset(fileWith("d.json", tatqa), declaration, label)).toEqual([
      { table: { uid: "t1" }, paragraphs: ["p"], uid: "q1" },
      { table: { uid: "t1" }, paragraphs: ["p"], uid: "q2" },
      { table: { uid: "t3" }, paragraphs: ["r"], uid: "q3", answer: [1] },
    ]);
  });

  it("works on JSON Lines too, and keeps a field named __proto__ as plain data", () => {
    const [record] = readDataset(
      fileWith("d.jsonl", '{"c": 1, "qs": [{"__proto__": {"x": 1}}]}\n'),
      { format: "jsonl", expand: "qs" },
      label,
    );
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.keys(record ?? {})).toEqual(["c", "__proto__"]);
  });

  it.each<[string, string, RegExp]>([
    ["a record without the field", '[{"a": 1}]', /record 1 has no field "questions"/],
    [
      "a field that is not a list",
      '[{"questions": {"q": 1}}]',
      /record 1 has a field that is not an array: "questions"/,
    ],
    [
      "an item that is not an object",
      '[{"questions": [{"q": 1}, 2]}]',
      /record 1: "questions" item 2 is not an object/,
    ],
    [
      "an item field the record has too",
      '[{"uid": 1, "questions": [{"uid": 2}]}]',
      /item 1 has a field "uid" that the record has too/,
    ],
  ])("refuses %s with one line naming the file", (_, content, pattern) => {
    let error: unknown;
    try {
      readDataset(fileWith("d.json", content), declaration, label);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BenchError);
    expect((error as BenchError).message).toMatch(pattern);
    expect((error as BenchError).message.startsWith(label)).toBe(true);
  });
});
