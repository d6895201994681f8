import { describe, expect, it } from "vitest";
import { escapeHidden, findForbiddenCharacter, firstInvalidUtf8, printable } from "./text.ts";

describe("printable", () => {
  it.each([
    ["plain text", "What is 2+2?", 80, "What is 2+2?"],
    ["empty text", "", 80, ""],
    ["a line feed and a tab", "a\nb\tc", 80, "a\\u{a}b\\u{9}c"],
    ["a right-to-left override", "admin\u202Etxt.exe", 80, "admin\\u{202e}txt.exe"],
    ["an isolate and a zero-width space", "\u2066x\u200By", 80, "\\u{2066}x\\u{200b}y"],
    ["NUL, DEL and a C1 control", "\u0000\u007F\u0085", 80, "\\u{0}\\u{7f}\\u{85}"],
    ["a line separator", "a\u2028b", 80, "a\\u{2028}b"],
    ["a lone surrogate", "a\uD800b", 80, "a\\u{d800}b"],
    ["text of exactly max characters", "abcde", 5, "abcde"],
    ["text one over max", "abcdef", 5, "abcd…"],
    ["an escape that would be split", "abc\u202E", 6, "abc…"],
    ["an astral character at the cut", "ab😀😀", 3, "ab…"],
    ["non-Latin text", "Вопрос: 你好", 80, "Вопрос: 你好"],
  ])("%s", (_, text, max, expected) => {
    expect(printable(text, max)).toBe(expected);
  });

  it("cuts to 80 characters by default", () => {
    const out = printable("x".repeat(500));
    expect(out).toBe(`${"x".repeat(79)}…`);
  });

  it("escapes without cutting in escapeHidden", () => {
    expect(escapeHidden(`${"y".repeat(100)}\r`)).toBe(`${"y".repeat(100)}\\u{d}`);
  });
});

describe("findForbiddenCharacter", () => {
  it.each([
    ["plain text", "hello", undefined],
    ["tab, line feed and carriage return", "a\tb\r\nc", undefined],
    ["a zero-width joiner (allowed: emoji use it)", "👩\u200D💻", undefined],
    [
      "a right-to-left override",
      "ab\u202Ec",
      { index: 2, codePoint: 0x202e, description: "U+202E (right-to-left override)" },
    ],
    [
      "a first strong isolate",
      "\u2068",
      { index: 0, codePoint: 0x2068, description: "U+2068 (first strong isolate)" },
    ],
    ["a bell", "x\u0007", { index: 1, codePoint: 7, description: "U+0007 (a control character)" }],
    [
      "a C1 control",
      "\u009B",
      { index: 0, codePoint: 0x9b, description: "U+009B (a control character)" },
    ],
  ])("%s", (_, text, expected) => {
    expect(findForbiddenCharacter(text)).toEqual(expected);
  });
});

describe("firstInvalidUtf8", () => {
  it.each([
    ["ASCII", [0x61, 0x62], -1],
    ["empty input", [], -1],
    ["two-, three- and four-byte characters", [...new TextEncoder().encode("é€😀")], -1],
    ["a lone continuation byte", [0x61, 0x80], 1],
    ["0xff", [0x61, 0x62, 0xff], 2],
    ["a Latin-1 é", [0x63, 0x61, 0x66, 0xe9], 3],
    ["a truncated sequence at the end", [0x61, 0xe2, 0x82], 1],
    ["an overlong slash", [0xc0, 0xaf], 0],
    ["an overlong three-byte form", [0xe0, 0x80, 0xaf], 0],
    ["a UTF-16 surrogate", [0xed, 0xa0, 0x80], 0],
    ["a code point past U+10FFFF", [0xf4, 0x90, 0x80, 0x80], 0],
    ["a bad third byte", [0x61, 0xe2, 0x82, 0x41], 1],
  ])("%s", (_, bytes, expected) => {
    expect(firstInvalidUtf8(Uint8Array.from(bytes))).toBe(expected);
  });
});
