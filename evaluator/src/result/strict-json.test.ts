import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.ts";
import { BenchError } from "../errors/index.ts";
import { parseStrictJson, readStrictJsonFile } from "./strict-json.ts";

/** The error `run` throws, which must be a BenchError. */
function thrown(run: () => unknown): BenchError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BenchError);
    return error as BenchError;
  }
  throw new Error("expected an error");
}

describe("parseStrictJson: valid input gives exactly what JSON.parse gives", () => {
  it.each([
    ["literals", "[true, false, null]"],
    ["empty containers and string", '[{}, [], ""]'],
    ["all JSON whitespace", ' \t\r\n{ "a" :\n[ 1 ,\t2 ] }\r\n'],
    ["negative zero", "[-0, -0.0, -0e5, 0]"],
    ["integers past 2^53", "[9007199254740993, 12345678901234567890, -98765432109876543210]"],
    ["the extremes of a double", "[1.7976931348623157e308, 5e-324, 2.2250738585072014e-308]"],
    ["an underflow to zero", "[1e-400, -1e-400]"],
    ["exponent spellings", "[1E2, 1e+2, 1e-2, 2.50e0, 0.1]"],
    ["simple escapes", '"\\"\\\\\\/\\b\\f\\n\\r\\t"'],
    ["unicode escapes and a surrogate pair", '"\\u00e9\\u00E9\\uD83D\\uDE00\\u0000"'],
    ["lone surrogates", '["\\uD800", "x\\uDC00y", "\\uDBFF\\u0041"]'],
    ["raw non-ASCII text", '"é 😀 \u2028 \u2029 \u007f"'],
    ["integer-like keys, which objects order first", '{"b": 1, "a": 2, "10": 3, "2": 4, "-1": 5}'],
    ["one key at several depths", '{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}'],
    ["keys that differ only by escapes of other characters", '{"a\\n": 1, "a": 2, "\\u00e9": 3}'],
    ["a top-level scalar", '"just a string"'],
  ])("%s", (_, text) => {
    const strict = parseStrictJson(text);
    const native: unknown = JSON.parse(text);
    expect(strict).toStrictEqual(native);
    // toStrictEqual ignores key order; the serialisation does not.
    expect(JSON.stringify(strict)).toBe(JSON.stringify(native));
  });

  it("keeps -0 distinct from 0, as JSON.parse does", () => {
    expect(Object.is(parseStrictJson("-0"), -0)).toBe(true);
    expect(Object.is(parseStrictJson("0"), 0)).toBe(true);
  });

  it("makes __proto__ an own property, as JSON.parse does, without changing the prototype", () => {
    const text = '{"__proto__": {"polluted": true}, "a": 1}';
    const strict = parseStrictJson(text) as Record<string, unknown>;
    const native = JSON.parse(text) as Record<string, unknown>;
    expect(Object.getPrototypeOf(strict)).toBe(Object.prototype);
    expect(Object.keys(strict)).toEqual(Object.keys(native));
    expect(Object.getOwnPropertyDescriptor(strict, "__proto__")).toEqual(
      Object.getOwnPropertyDescriptor(native, "__proto__"),
    );
    expect((strict as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it("accepts nesting up to the depth limit", () => {
    const text = `${"[".repeat(64)}${"]".repeat(64)}`;
    expect(parseStrictJson(text)).toStrictEqual(JSON.parse(text));
    expect(parseStrictJson('{"a": {"b": 1}}', { maxDepth: 2 })).toEqual({ a: { b: 1 } });
  });
});

describe("parseStrictJson: rejects, naming the file and where", () => {
  const syntax = (where: string, problem: string) =>
    `x.json: is not valid JSON (${where}: ${problem})`;

  it.each([
    ["empty input", "", syntax("1:1", "unexpected end of input, expected a value")],
    ["only whitespace", " \n ", syntax("2:2", "unexpected end of input, expected a value")],
    [
      "a byte order mark",
      "\ufeff{}",
      syntax("1:1", "starts with a byte order mark; save it as UTF-8 without one"),
    ],
    [
      "a trailing comma in an object",
      '{"a": 1,}',
      syntax("1:9", "unexpected '}', expected a string key"),
    ],
    ["a trailing comma in an array", "[1,]", syntax("1:4", "unexpected ']', expected a value")],
    ["a missing colon", '{"a" 1}', syntax("1:6", "unexpected '1', expected ':'")],
    [
      "a missing comma in an object",
      '{"a": 1 "b": 2}',
      syntax("1:9", "unexpected '\"', expected ',' or '}'"),
    ],
    ["a missing comma in an array", "[1 2]", syntax("1:4", "unexpected '2', expected ',' or ']'")],
    ["an unclosed array", "[1, 2", syntax("1:6", "unexpected end of input, expected ',' or ']'")],
    ["an unquoted key", "{a: 1}", syntax("1:2", "unexpected 'a', expected a string key")],
    ["a single-quoted string", "'a'", syntax("1:1", "unexpected ''', expected a value")],
    ["a leading zero", "01", syntax("1:2", "unexpected '1' after the JSON value")],
    ["a leading plus", "+1", syntax("1:1", "unexpected '+', expected a value")],
    ["a bare dot", ".5", syntax("1:1", "unexpected '.', expected a value")],
    ["a trailing dot", "1.", syntax("1:3", "unexpected end of input, expected a digit after '.'")],
    ["a lone minus", "-", syntax("1:2", "unexpected end of input, expected a digit")],
    [
      "an empty exponent",
      "1e+",
      syntax("1:4", "unexpected end of input, expected a digit in the exponent"),
    ],
    ["NaN", "NaN", syntax("1:1", "unexpected 'N', expected a value")],
    ["Infinity", "[Infinity]", syntax("1:2", "unexpected 'I', expected a value")],
    [
      "a number that overflows",
      "[1, 1e400]",
      syntax("1:5", "number out of range: it would be Infinity"),
    ],
    ["a negative overflow", "-1e400", syntax("1:1", "number out of range: it would be Infinity")],
    ["a truncated literal", "tru", syntax("1:1", "unexpected 't', expected a value")],
    ["an unterminated string", '["abc', syntax("1:6", "unterminated string")],
    ["a string ending in a backslash", '"abc\\', syntax("1:5", "unterminated string")],
    ["a raw newline in a string", '"a\nb"', syntax("1:3", "U+000A in a string must be escaped")],
    ["a raw tab in a string", '"a\tb"', syntax("1:3", "U+0009 in a string must be escaped")],
    ["an unknown escape", '"\\x"', syntax("1:2", "\\ followed by 'x' is not an escape")],
    ["a short unicode escape", '"\\u12G4"', syntax("1:2", "a \\u escape needs 4 hex digits")],
    [
      "garbage after the value",
      '{"a": 1} x',
      syntax("1:10", "unexpected 'x' after the JSON value"),
    ],
    ["a second value", "{}\n{}", syntax("2:1", "unexpected '{' after the JSON value")],
    ["a NUL after the value", "{}\u0000", syntax("1:3", "unexpected U+0000 after the JSON value")],
    [
      "an error on a later line",
      '{\n  "a": [1,\n    2,,\n  ]\n}',
      syntax("3:7", "unexpected ',', expected a value"),
    ],
    [
      "nesting past 64 levels",
      `${"[".repeat(65)}${"]".repeat(65)}`,
      syntax("1:65", "nests deeper than the limit of 64 levels"),
    ],
  ])("%s", (_, text, message) => {
    const error = thrown(() => parseStrictJson(text, { source: "x.json" }));
    expect({ code: error.code, message: error.message }).toEqual({ code: "E_JSON", message });
  });

  it("never quotes more of the input than one character", () => {
    const secret = "s3cr3t".repeat(1000);
    const error = thrown(() =>
      parseStrictJson(`{"k": "${secret}" ${secret}}`, { source: "x.json" }),
    );
    expect(error.message).toBe(syntax("1:6010", "unexpected 's', expected ',' or '}'"));
  });

  it("applies a custom depth limit", () => {
    const error = thrown(() =>
      parseStrictJson('{"a": {"b": {}}}', { source: "x.json", maxDepth: 2 }),
    );
    expect(error.message).toBe(syntax("1:13", "nests deeper than the limit of 2 levels"));
  });
});

describe("parseStrictJson: rejects a repeated key, naming its JSON path", () => {
  const duplicate = (path: string, where: string) =>
    `x.json: ${path}: is a duplicate key at ${where} (readers disagree on which value counts; keep one)`;

  it.each([
    ["at the top", '{"a": 1, "a": 2}', duplicate("$.a", "1:10")],
    [
      "inside the signature, where a reader and the verifier would see different values",
      '{"signature": {"value": "x", "keyId": "k",\n  "value": "y"}}',
      duplicate("$.signature.value", "2:3"),
    ],
    [
      "inside an array item",
      '{"scores": [{"value": 1}, {"value": 1, "value": 2}]}',
      duplicate("$.scores[1].value", "1:40"),
    ],
    ["spelt with an escape", '{"a": 1, "\\u0061": 2}', duplicate("$.a", "1:10")],
    ["that needs quoting in a path", '{"a b": 1, "a b": 2}', duplicate('$["a b"]', "1:12")],
    ["that is numeric", '{"0": 1, "0": 2}', duplicate('$["0"]', "1:10")],
    ["named __proto__", '{"__proto__": 1, "__proto__": 2}', duplicate("$.__proto__", "1:18")],
    [
      "that is very long, cut in the path",
      `{"${"k".repeat(100)}": 1, "${"k".repeat(100)}": 2}`,
      duplicate(`$["${"k".repeat(64)}…"]`, "1:109"),
    ],
  ])("%s", (_, text, message) => {
    const error = thrown(() => parseStrictJson(text, { source: "x.json" }));
    expect({ code: error.code, message: error.message }).toEqual({ code: "E_JSON", message });
  });
});

describe("readStrictJsonFile", () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir("bench-strict-json-"));
    mkdirSync(join(dir, "folder.json"));
    writeFileSync(join(dir, "ten.json"), '{"a": 123}');
    writeFileSync(join(dir, "latin1.json"), Buffer.from([0x22, 0xe9, 0x22]));
    writeFileSync(join(dir, "bom.json"), Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]));
  });
  afterAll(() => cleanup());

  const read = (name: string, maxBytes = 100) =>
    readStrictJsonFile(join(dir, name), { maxBytes, kind: "test files" });

  it("reads a file at the size limit", () => {
    expect(read("ten.json", 10)).toEqual({ a: 123 });
  });

  it.each([
    [
      "over the size limit",
      "ten.json",
      9,
      "E_JSON",
      "<dir>/ten.json: is 10 bytes, over the limit of 9 bytes for test files",
    ],
    ["not UTF-8", "latin1.json", 100, "E_JSON", "<dir>/latin1.json: is not UTF-8 text"],
    [
      "a UTF-8 byte order mark",
      "bom.json",
      100,
      "E_JSON",
      "<dir>/bom.json: is not valid JSON (1:1: starts with a byte order mark; save it as UTF-8 without one)",
    ],
    ["a folder", "folder.json", 100, "E_NOT_A_FILE", "<dir>/folder.json: is not a regular file"],
    ["missing", "absent.json", 100, "E_NOT_FOUND", "<dir>/absent.json: cannot be read (ENOENT)"],
  ])("rejects a file %s", (_, name, maxBytes, code, message) => {
    const error = thrown(() => read(name, maxBytes));
    expect({ code: error.code, message: error.message.replaceAll(dir, "<dir>") }).toEqual({
      code,
      message,
    });
  });
});
