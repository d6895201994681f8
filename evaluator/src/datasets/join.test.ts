import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.ts";
import { BenchError } from "../errors/index.ts";
import { type JoinDeclaration, joinLines, readJoined, selectRecords } from "./join.ts";
import { type DatasetLimits, datasetLimits } from "./load.ts";

let root: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir: root, cleanup } = tempDir("bench-join-"));
});
afterAll(() => cleanup());

let counter = 0;
/** Writes `content` under the temporary folder as `<n>-name` and returns the path. */
function fileWith(name: string, content: string | Uint8Array): string {
  counter += 1;
  const path = join(root, `${counter}-${name}`);
  writeFileSync(path, content);
  return path;
}

const sha256 = (content: string | Uint8Array) => createHash("sha256").update(content).digest("hex");
const label = "suites/x/suite.yaml: $.tasks[0].dataset.join";
const three = [{ goal: "a" }, { goal: "b" }, { goal: "c" }];
const labels: JoinDeclaration = { field: "label" };

describe("joinLines joins one line per record, in order", () => {
  it.each<[string, string, string | Uint8Array, JoinDeclaration, unknown[]]>([
    [
      "LF with a final line break",
      "l.lst",
      "0\n1\n1\n",
      labels,
      [
        { goal: "a", label: "0" },
        { goal: "b", label: "1" },
        { goal: "c", label: "1" },
      ],
    ],
    [
      "no final line break",
      "l.lst",
      "0\n1\n1",
      labels,
      [
        { goal: "a", label: "0" },
        { goal: "b", label: "1" },
        { goal: "c", label: "1" },
      ],
    ],
    [
      "CRLF, values kept as strings with inner spaces",
      "l.lst",
      " 0\r\nyes no\r\n\r\n",
      labels,
      [
        { goal: "a", label: " 0" },
        { goal: "b", label: "yes no" },
        { goal: "c", label: "" },
      ],
    ],
    [
      "gzip by extension",
      "l.lst.gz",
      gzipSync("x\ny\nz\n"),
      { field: "answer" },
      [
        { goal: "a", answer: "x" },
        { goal: "b", answer: "y" },
        { goal: "c", answer: "z" },
      ],
    ],
    [
      "gzip named by the url",
      "blob",
      gzipSync("x\ny\nz\n"),
      { field: "answer", url: "https://example.org/labels.lst.gz" },
      [
        { goal: "a", answer: "x" },
        { goal: "b", answer: "y" },
        { goal: "c", answer: "z" },
      ],
    ],
    [
      "a byte order mark dropped",
      "l.lst",
      "\uFEFFé\n1\n2\n",
      labels,
      [
        { goal: "a", label: "é" },
        { goal: "b", label: "1" },
        { goal: "c", label: "2" },
      ],
    ],
  ])("%s", (_, name, content, declaration, expected) => {
    expect(joinLines(three, fileWith(name, content), declaration, label)).toEqual(expected);
  });

  it("joins an empty file to no records", () => {
    expect(joinLines([], fileWith("l.lst", ""), labels, label)).toEqual([]);
  });

  it("leaves the records as they were and keeps a field named __proto__ as plain data", () => {
    const records = [{ q: 1 }];
    const [joined] = joinLines(records, fileWith("l.lst", "x\n"), { field: "__proto__" }, label);
    expect(records).toEqual([{ q: 1 }]);
    expect(Object.getPrototypeOf(joined)).toBe(Object.prototype);
    expect(Object.entries(joined ?? {})).toEqual([
      ["q", 1],
      ["__proto__", "x"],
    ]);
  });
});

function failure(
  records: readonly Record<string, unknown>[],
  content: string | Uint8Array,
  declaration: JoinDeclaration,
  name = "l.lst",
  limits: DatasetLimits = datasetLimits,
) {
  try {
    joinLines(records, fileWith(name, content), declaration, label, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(BenchError);
    const { code, message, hint } = error as BenchError;
    return { code, message, hint };
  }
  throw new Error("expected joinLines to fail");
}

const countHint = "check that the join pins the file that goes with the dataset (the same split)";

describe("joinLines refuses a file that does not fit the records", () => {
  it.each<
    [
      string,
      readonly Record<string, unknown>[],
      string | Uint8Array,
      JoinDeclaration,
      string,
      string,
    ]
  >([
    [
      "one line too few",
      three,
      "0\n1\n",
      labels,
      `${label}: holds 2 line(s) for 3 record(s) (expected one line per record, in the dataset's order)`,
      countHint,
    ],
    [
      "one line too many",
      three,
      "0\n1\n1\n0\n",
      labels,
      `${label}: holds 4 line(s) for 3 record(s) (expected one line per record, in the dataset's order)`,
      countHint,
    ],
    [
      "a trailing blank line (an extra, empty value)",
      three,
      "0\n1\n1\n\n",
      labels,
      `${label}: holds 4 line(s) for 3 record(s) (expected one line per record, in the dataset's order)`,
      countHint,
    ],
    [
      "an empty file for records",
      three,
      "",
      labels,
      `${label}: holds 0 line(s) for 3 record(s) (expected one line per record, in the dataset's order)`,
      countHint,
    ],
    [
      "a field the records already have",
      [{ goal: "a" }, { goal: "b", label: 0 }],
      "0\n1\n",
      labels,
      `${label}: record 2 already has a field "label" (expected the join to add a new one)`,
      "name the joined field after none of the dataset's fields",
    ],
    [
      "a field name with a control character, shown escaped",
      [{ "x\u202E": 1 }],
      "0\n",
      { field: "x\u202E" },
      `${label}: record 1 already has a field "x\\u{202e}" (expected the join to add a new one)`,
      "name the joined field after none of the dataset's fields",
    ],
    [
      "binary content",
      three,
      "0\n\u0000\n1\n",
      labels,
      `${label}:2: holds a NUL byte at byte 1 (binary content, not text, one value per line)`,
      "a dataset of this format is text, one value per line",
    ],
    [
      "invalid UTF-8",
      three,
      Buffer.from([0x30, 0x0a, 0xff, 0x0a, 0x31, 0x0a]),
      labels,
      `${label}:2: is not valid UTF-8 (byte 0xff at byte 1)`,
      "save the dataset as UTF-8",
    ],
  ])("%s", (_, records, content, declaration, message, hint) => {
    expect(failure(records, content, declaration)).toEqual({ code: "E_DATASET", message, hint });
  });

  it("refuses gzip data read as uncompressed", () => {
    expect(failure(three, gzipSync("0\n1\n1\n"), labels)).toEqual({
      code: "E_DATASET",
      message: `${label}: is gzip data, but the declaration reads it uncompressed`,
      hint: "set compression: gzip, or name the file with its .gz or .bz2 extension",
    });
  });

  it("refuses a gzip bomb before inflating it in full", () => {
    const small = { ...datasetLimits, maxFileBytes: 64 << 10 };
    const bomb = gzipSync(Buffer.alloc(8 << 20, "1"));
    expect(failure(three, bomb, labels, "l.lst.gz", small)).toEqual({
      code: "E_DATASET",
      message: `${label}: decompresses to more than the 64 KiB limit for a dataset file`,
      hint: "use a smaller dataset, or split it into several tasks",
    });
  });

  it("refuses a line over the record limit", () => {
    const limits = { ...datasetLimits, maxLineBytes: 8 };
    expect(failure([{ q: 1 }], `${"1".repeat(9)}\n`, labels, "l.lst", limits)).toEqual({
      code: "E_DATASET",
      message: `${label}:1: is 9 bytes long, over the 8 bytes limit for one record`,
      hint: "a joined file holds one short value per line",
    });
  });
});

describe("readJoined resolves the join as the dataset and joins it", () => {
  const jsonl = '{"goal": "a"}\n{"goal": "b"}\n';
  const source = () => ({
    declaredIn: join(root, "suite.yaml"),
    field: "$.tasks[0].dataset",
    root,
  });

  it("reads a dataset without a join as readDataset does", async () => {
    const path = fileWith("d.jsonl", jsonl);
    const records = await readJoined(path, { format: "jsonl" }, source(), {}, "d");
    expect(records).toEqual([{ goal: "a" }, { goal: "b" }]);
  });

  it("joins a file pinned by path and sha256", async () => {
    const path = fileWith("d.jsonl", jsonl);
    const lines = fileWith("labels.lst", "1\n0\n");
    const declaration = {
      format: "jsonl" as const,
      join: { path: lines.slice(root.length + 1), sha256: sha256("1\n0\n"), field: "label" },
    };
    expect(await readJoined(path, declaration, source(), {}, "d")).toEqual([
      { goal: "a", label: "1" },
      { goal: "b", label: "0" },
    ]);
  });

  it.each([
    ["a join whose sha256 does not match", "labels.lst", "0".repeat(64), "E_SHA256_MISMATCH"],
    ["a join path outside the suite folder", "../outside.lst", sha256("1\n0\n"), "E_PATH_ESCAPE"],
    ["a join that does not exist", "missing.lst", sha256("1\n0\n"), "E_ARTIFACT_MISSING"],
  ])("refuses %s, naming the join's field", async (_, joinPath, pin, code) => {
    const path = fileWith("d.jsonl", jsonl);
    writeFileSync(join(root, "labels.lst"), "1\n0\n");
    const declaration = {
      format: "jsonl" as const,
      join: { path: joinPath, sha256: pin, field: "label" },
    };
    const error = await readJoined(path, declaration, source(), {}, "d").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BenchError);
    const { code: actual, message } = error as BenchError;
    expect([
      actual,
      message.startsWith(`${join(root, "suite.yaml")}: $.tasks[0].dataset.join`),
    ]).toEqual([code, true]);
  });
});

describe("selectRecords keeps the records a second file names", () => {
  const records = [
    { pmid: "10", q: "a" },
    { pmid: "11", q: "b" },
    { pmid: 12, q: "c" },
    { pmid: "13", q: "d" },
  ];
  const selectLabel = "suites/x/suite.yaml: $.tasks[0].dataset.select";
  const select = (content: string | Uint8Array, name = "ids.json") =>
    selectRecords(records, fileWith(name, content), { field: "pmid" }, selectLabel);

  it.each<[string, string | Uint8Array, string, string[]]>([
    // PubMedQA's test_ground_truth.json: an object keyed by id (its values are labels)
    [
      "an object's keys, in the records' order",
      '{"13": "yes", "10": "no"}',
      "ids.json",
      ["a", "d"],
    ],
    ["an array of ids; numbers compare as text", '["12", 11]', "ids.json", ["b", "c"]],
    ["gzip", gzipSync('{"11": 1}'), "ids.json.gz", ["b"]],
    ["every record", '["10","11","12","13"]', "ids.json", ["a", "b", "c", "d"]],
  ])("%s", (_, content, name, expected) => {
    expect(select(content, name).map((r) => r.q)).toEqual(expected);
  });

  it.each<[string, string | Uint8Array, RegExp]>([
    [
      "an id no record has",
      '{"10": 1, "99": 1}',
      /names 1 id\(s\) that no record has \(first: "99"\)/,
    ],
    [
      "a scalar document",
      "42",
      /is a number \(expected an object keyed by id, or an array of ids\)/,
    ],
    ["null", "null", /is null \(expected/],
    ["an array holding an object", '["10", {"id": 1}]', /item 2 is not a string or a number/],
    ["duplicate keys", '{"10": 1, "10": 2}', /duplicate|repeated|twice/i],
    ["not JSON", "{10: 1}", /select: /],
    ["not UTF-8", Uint8Array.from([0x5b, 0xff, 0x5d]), /not valid UTF-8|UTF-8/],
  ])("refuses %s with one line naming the file", (_, content, pattern) => {
    let error: unknown;
    try {
      select(content);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BenchError);
    const message = (error as BenchError).message;
    expect(message).toMatch(pattern);
    expect(message.startsWith(selectLabel)).toBe(true);
    expect(message).not.toContain("\n");
  });

  it("refuses a record without the field, naming it", () => {
    expect(() =>
      selectRecords([{ id: "1" }], fileWith("ids.json", '["1"]'), { field: "pmid" }, selectLabel),
    ).toThrow(/record 1 has no field "pmid"/);
  });
});
