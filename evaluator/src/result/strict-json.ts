import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { BenchError } from "../errors/index.ts";

export interface StrictJsonOptions {
  /** Names the input in messages: a file path. */
  source?: string;
  /** Deepest nesting of objects and arrays allowed; the top-level value is depth 1. */
  maxDepth?: number;
}

export interface StrictJsonFileOptions extends StrictJsonOptions {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** What the file is, for the size message: "result documents". */
  kind: string;
}

const defaultDepth = 64;

/**
 * Parses JSON text exactly as `JSON.parse` does for valid input, but rejects what `JSON.parse`
 * lets through: a key repeated in one object (readers disagree on which value counts), a
 * number out of range (it would be Infinity), nesting deeper than `maxDepth`, and a leading
 * byte order mark. Throws `E_JSON` naming the source and `line:column`, or the JSON path of a
 * repeated key; messages never quote the input beyond one character. Linear in the input.
 */
export function parseStrictJson(text: string, options: StrictJsonOptions = {}): unknown {
  return new Parser(text, options.source ?? "<input>", options.maxDepth ?? defaultDepth).parse();
}

/**
 * Reads and parses a JSON file with `parseStrictJson`, refusing anything but a regular file of at
 * most `maxBytes` bytes of UTF-8 text.
 */
export function readStrictJsonFile(file: string, options: StrictJsonFileOptions): unknown {
  const source = options.source ?? file;
  let fd: number;
  try {
    // Non-blocking, so a FIFO fails the regular-file check below instead of waiting for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw new BenchError("E_NOT_FOUND", `${source}: cannot be read (${errnoOf(cause)})`, {
      cause,
    });
  }
  let bytes: Buffer;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new BenchError("E_NOT_A_FILE", `${source}: is not a regular file`);
    if (stat.size > options.maxBytes) throw tooLarge(source, stat.size, options);
    // One byte more than the limit tells a file that grew since fstat from one that fits.
    bytes = Buffer.alloc(Math.min(stat.size, options.maxBytes) + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, bytes, length, bytes.length - length, null);
      if (read === 0) break;
      length += read;
      if (length === bytes.length) break;
    }
    if (length > options.maxBytes) throw tooLarge(source, length, options);
    bytes = bytes.subarray(0, length);
  } finally {
    closeSync(fd);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (cause) {
    throw new BenchError("E_JSON", `${source}: is not UTF-8 text`, { cause });
  }
  return parseStrictJson(text, { ...options, source });
}

function tooLarge(file: string, size: number, options: StrictJsonFileOptions): BenchError {
  return new BenchError(
    "E_JSON",
    `${file}: is ${size} bytes, over the limit of ${options.maxBytes} bytes for ${options.kind}`,
  );
}

function errnoOf(cause: unknown): string {
  return (cause as NodeJS.ErrnoException).code ?? String(cause);
}

/** `$.a[0]["odd key"]`; long keys are cut so a message never carries much of the input. */
function jsonPath(segments: readonly (string | number)[]): string {
  let path = "$";
  for (const segment of segments) {
    if (typeof segment === "number") path += `[${segment}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(segment) && segment.length <= 64) path += `.${segment}`;
    else {
      const cut = segment.length > 64 ? `${segment.slice(0, 64)}…` : segment;
      path += `[${JSON.stringify(cut)}]`;
    }
  }
  return path;
}

/** One character for a message: `'x'` when printable ASCII, else its code point. */
function describeChar(code: number): string {
  if (code >= 0x21 && code <= 0x7e) return `'${String.fromCharCode(code)}'`;
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

const Char = {
  Tab: 0x09,
  Newline: 0x0a,
  Return: 0x0d,
  Space: 0x20,
  Quote: 0x22,
  Plus: 0x2b,
  Comma: 0x2c,
  Minus: 0x2d,
  Dot: 0x2e,
  Zero: 0x30,
  Nine: 0x39,
  Colon: 0x3a,
  OpenBracket: 0x5b,
  Backslash: 0x5c,
  CloseBracket: 0x5d,
  OpenBrace: 0x7b,
  CloseBrace: 0x7d,
} as const;

const escapes: Record<number, string> = {
  34: '"',
  92: "\\",
  47: "/",
  98: "\b",
  102: "\f",
  110: "\n",
  114: "\r",
  116: "\t",
};

class Parser {
  private pos = 0;
  private readonly path: (string | number)[] = [];
  private readonly text: string;
  private readonly source: string;
  private readonly maxDepth: number;

  constructor(text: string, source: string, maxDepth: number) {
    this.text = text;
    this.source = source;
    this.maxDepth = maxDepth;
  }

  parse(): unknown {
    if (this.text.charCodeAt(0) === 0xfeff) {
      throw this.syntax("starts with a byte order mark; save it as UTF-8 without one");
    }
    this.skipSpace();
    const value = this.value(1);
    this.skipSpace();
    if (this.pos < this.text.length) {
      throw this.syntax(
        `unexpected ${describeChar(this.text.charCodeAt(this.pos))} after the JSON value`,
      );
    }
    return value;
  }

  private value(depth: number): unknown {
    const code = this.text.charCodeAt(this.pos);
    if (code === Char.OpenBrace || code === Char.OpenBracket) {
      if (depth > this.maxDepth)
        throw this.syntax(`nests deeper than the limit of ${this.maxDepth} levels`);
      return code === Char.OpenBrace ? this.object(depth) : this.array(depth);
    }
    if (code === Char.Quote) return this.string();
    if (code === Char.Minus || (code >= Char.Zero && code <= Char.Nine)) return this.number();
    if (this.text.startsWith("true", this.pos)) return this.literal(4, true);
    if (this.text.startsWith("false", this.pos)) return this.literal(5, false);
    if (this.text.startsWith("null", this.pos)) return this.literal(4, null);
    throw this.unexpected("a value");
  }

  private literal<T>(length: number, value: T): T {
    this.pos += length;
    return value;
  }

  private object(depth: number): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    this.pos += 1;
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === Char.CloseBrace) {
      this.pos += 1;
      return result;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== Char.Quote) throw this.unexpected("a string key");
      const keyAt = this.pos;
      const key = this.string();
      if (Object.hasOwn(result, key)) {
        const { line, column } = this.lineColumn(keyAt);
        throw new BenchError(
          "E_JSON",
          `${this.source}: ${jsonPath([...this.path, key])}: is a duplicate key at ${line}:${column} (readers disagree on which value counts; keep one)`,
        );
      }
      this.skipSpace();
      if (this.text.charCodeAt(this.pos) !== Char.Colon) throw this.unexpected("':'");
      this.pos += 1;
      this.skipSpace();
      this.path.push(key);
      const value = this.value(depth + 1);
      this.path.pop();
      // Plain assignment to "__proto__" would set the prototype; JSON.parse makes an own property.
      if (key === "__proto__")
        Object.defineProperty(result, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else result[key] = value;
      this.skipSpace();
      const next = this.text.charCodeAt(this.pos);
      this.pos += 1;
      if (next === Char.CloseBrace) return result;
      if (next !== Char.Comma) {
        this.pos -= 1;
        throw this.unexpected("',' or '}'");
      }
      this.skipSpace();
    }
  }

  private array(depth: number): unknown[] {
    const result: unknown[] = [];
    this.pos += 1;
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === Char.CloseBracket) {
      this.pos += 1;
      return result;
    }
    for (;;) {
      this.path.push(result.length);
      result.push(this.value(depth + 1));
      this.path.pop();
      this.skipSpace();
      const next = this.text.charCodeAt(this.pos);
      this.pos += 1;
      if (next === Char.CloseBracket) return result;
      if (next !== Char.Comma) {
        this.pos -= 1;
        throw this.unexpected("',' or ']'");
      }
      this.skipSpace();
    }
  }

  private string(): string {
    const text = this.text;
    let start = this.pos + 1;
    let i = start;
    let out = "";
    for (;;) {
      if (i >= text.length) {
        this.pos = i;
        throw this.syntax("unterminated string");
      }
      const code = text.charCodeAt(i);
      if (code === Char.Quote) {
        this.pos = i + 1;
        return out + text.slice(start, i);
      }
      if (code < 0x20) {
        this.pos = i;
        throw this.syntax(`${describeChar(code)} in a string must be escaped`);
      }
      if (code !== Char.Backslash) {
        i += 1;
        continue;
      }
      out += text.slice(start, i);
      const escaped = text.charCodeAt(i + 1);
      const simple = escapes[escaped];
      if (simple !== undefined) {
        out += simple;
        i += 2;
      } else if (escaped === 0x75) {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
          this.pos = i;
          throw this.syntax("a \\u escape needs 4 hex digits");
        }
        // Lone surrogates pass through as JSON.parse lets them.
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 6;
      } else {
        this.pos = i;
        throw this.syntax(
          Number.isNaN(escaped)
            ? "unterminated string"
            : `\\ followed by ${describeChar(escaped)} is not an escape`,
        );
      }
      start = i;
    }
  }

  private number(): number {
    const text = this.text;
    const start = this.pos;
    let i = start;
    if (text.charCodeAt(i) === Char.Minus) i += 1;
    const digits = (from: number): number => {
      let j = from;
      while (j < text.length) {
        const c = text.charCodeAt(j);
        if (c < Char.Zero || c > Char.Nine) break;
        j += 1;
      }
      return j;
    };
    const fail = (at: number, what: string) => {
      this.pos = at;
      return this.unexpected(what);
    };
    if (text.charCodeAt(i) === Char.Zero) i += 1;
    else {
      const end = digits(i);
      if (end === i) throw fail(i, "a digit");
      i = end;
    }
    if (text.charCodeAt(i) === Char.Dot) {
      const end = digits(i + 1);
      if (end === i + 1) throw fail(end, "a digit after '.'");
      i = end;
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i += 1;
      const sign = text.charCodeAt(i);
      if (sign === Char.Plus || sign === Char.Minus) i += 1;
      const end = digits(i);
      if (end === i) throw fail(end, "a digit in the exponent");
      i = end;
    }
    const value = Number(text.slice(start, i));
    if (!Number.isFinite(value)) {
      this.pos = start;
      throw this.syntax("number out of range: it would be Infinity");
    }
    this.pos = i;
    return value;
  }

  private skipSpace(): void {
    const text = this.text;
    let i = this.pos;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c !== Char.Space && c !== Char.Newline && c !== Char.Return && c !== Char.Tab) break;
      i += 1;
    }
    this.pos = i;
  }

  private unexpected(expected: string): BenchError {
    if (this.pos >= this.text.length)
      return this.syntax(`unexpected end of input, expected ${expected}`);
    return this.syntax(
      `unexpected ${describeChar(this.text.charCodeAt(this.pos))}, expected ${expected}`,
    );
  }

  private syntax(problem: string): BenchError {
    const { line, column } = this.lineColumn(this.pos);
    return new BenchError(
      "E_JSON",
      `${this.source}: is not valid JSON (${line}:${column}: ${problem})`,
    );
  }

  /** 1-based line and column (in UTF-16 code units) of `offset`; only computed for a message. */
  private lineColumn(offset: number): { line: number; column: number } {
    let line = 1;
    let lineStart = 0;
    for (
      let i = this.text.indexOf("\n");
      i !== -1 && i < offset;
      i = this.text.indexOf("\n", i + 1)
    ) {
      line += 1;
      lineStart = i + 1;
    }
    return { line, column: offset - lineStart + 1 };
  }
}
