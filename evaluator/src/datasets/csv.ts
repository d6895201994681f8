import { formatBytes } from "../artifacts/contain.ts";
import { BenchError } from "../errors/index.ts";
import { printable } from "../pure/text.ts";
import type { DatasetLimits } from "./load.ts";

export interface DelimitedOptions {
  /** `,` for CSV, a tab for TSV. */
  delimiter: string;
  /** The first row names the columns. */
  header: boolean;
  /** Column names; with `header` they replace the header row's names. */
  columns?: readonly string[];
}

const Quote = 0x22;
const Newline = 0x0a;
const Return = 0x0d;

function problem(shown: string, line: number, text: string, hint: string) {
  return new BenchError("E_DATASET", `${shown}:${line}: ${text}`, { hint });
}

/**
 * Rows of CSV or TSV text as records: RFC 4180 quoting (a quoted field may hold the delimiter,
 * line breaks and `""` for one quote; a quote inside an unquoted field is kept as it is), rows
 * ended by LF or CRLF, blank lines skipped. Every value stays a string, numbers included.
 * Errors name the line a row starts on.
 */
export function parseDelimited(
  text: string,
  options: DelimitedOptions,
  shown: string,
  limits: DatasetLimits,
): Record<string, string>[] {
  const delimiter = options.delimiter.charCodeAt(0);
  const what = options.delimiter === "\t" ? "TSV" : "CSV";
  let names = options.header ? undefined : options.columns;
  const records: Record<string, string>[] = [];
  let pos = 0;
  let line = 1;
  while (pos < text.length) {
    const rowStart = pos;
    const rowLine = line;
    const fields: string[] = [];
    for (;;) {
      if (text.charCodeAt(pos) === Quote) {
        const openLine = line;
        let value = "";
        pos += 1;
        for (;;) {
          const close = text.indexOf('"', pos);
          if (close === -1) {
            throw problem(
              shown,
              openLine,
              `field ${fields.length + 1} opens a quote that is never closed`,
              `close the quoted field, and write a quote inside it as "" (RFC 4180 ${what})`,
            );
          }
          const piece = text.slice(pos, close);
          value += piece;
          for (let i = piece.indexOf("\n"); i !== -1; i = piece.indexOf("\n", i + 1)) line += 1;
          pos = close + 1;
          if (text.charCodeAt(pos) !== Quote) break;
          value += '"';
          pos += 1;
        }
        fields.push(value);
        const next = text.charCodeAt(pos);
        const ends =
          pos >= text.length ||
          next === delimiter ||
          next === Newline ||
          (next === Return && text.charCodeAt(pos + 1) === Newline);
        if (!ends) {
          throw problem(
            shown,
            line,
            `field ${fields.length} has text after its closing quote`,
            `quote the whole field, and write a quote inside it as "" (RFC 4180 ${what})`,
          );
        }
      } else {
        let end = pos;
        while (end < text.length) {
          const c = text.charCodeAt(end);
          if (c === delimiter || c === Newline) break;
          end += 1;
        }
        const value = text.slice(pos, end);
        pos = end;
        fields.push(text.charCodeAt(pos) === Newline ? value.replace(/\r$/, "") : value);
      }
      const c = text.charCodeAt(pos);
      if (c === delimiter) {
        pos += 1;
        continue;
      }
      if (c === Return) pos += 1;
      if (pos < text.length) {
        pos += 1; // the line feed
        line += 1;
      }
      break;
    }
    const length = pos - rowStart;
    const bytes = length * 3 > limits.maxLineBytes ? utf8Length(text, rowStart, pos) : length;
    if (bytes > limits.maxLineBytes) {
      throw problem(
        shown,
        rowLine,
        `is ${formatBytes(bytes)} long, over the ${formatBytes(limits.maxLineBytes)} limit for one record`,
        "keep each record small; long texts belong in fewer, shorter fields",
      );
    }
    if (fields.length === 1 && fields[0] === "" && text.charCodeAt(rowStart) !== Quote) continue;
    if (names === undefined) {
      names = options.columns ?? headerNames(fields, shown, rowLine);
      if (fields.length !== names.length) {
        throw problem(
          shown,
          rowLine,
          `the header row has ${fields.length} fields, but ${names.length} columns are named`,
          "name as many columns as the header row has",
        );
      }
      continue;
    }
    if (fields.length !== names.length) {
      throw problem(
        shown,
        rowLine,
        `has ${fields.length} field${fields.length === 1 ? "" : "s"}, expected ${names.length} (${options.header && !options.columns ? "the header row's columns" : "the declared columns"})`,
        `every row has one field per column; quote a field that holds the delimiter or a line break (RFC 4180 ${what})`,
      );
    }
    const row = names;
    records.push(Object.fromEntries(fields.map((value, i) => [row[i] as string, value])));
  }
  return records;
}

function headerNames(fields: string[], shown: string, line: number): string[] {
  const seen = new Set<string>();
  for (const [i, name] of fields.entries()) {
    if (name === "") {
      throw problem(
        shown,
        line,
        `header column ${i + 1} has no name`,
        "name every column in the header row, or declare columns",
      );
    }
    if (seen.has(name)) {
      throw problem(
        shown,
        line,
        `header column ${i + 1} repeats the name ${printable(JSON.stringify(name), 40)}`,
        "give each column its own name, or declare columns",
      );
    }
    seen.add(name);
  }
  return fields;
}

function utf8Length(text: string, start: number, end: number): number {
  return Buffer.byteLength(text.slice(start, end), "utf8");
}
