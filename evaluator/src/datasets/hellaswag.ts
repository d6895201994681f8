import { formatBytes } from "../artifacts/contain.ts";
import { BenchError } from "../errors/index.ts";
import { printable } from "../pure/text.ts";
import type { DatasetLimits } from "./load.ts";

/** One HellaSwag item as llama.cpp's text format holds it. */
export type HellaswagRecord = {
  /** `activity_label: ctx`, the item's first line. */
  context: string;
  /** The gold ending's index, 0 to 3. */
  label: number;
  endings: [string, string, string, string];
};

const linesPerItem = 6;
const layout = "6 lines per item: the context, the gold index 0-3, then 4 endings";

/** A line for a message: quoted, cut short, hidden characters escaped. */
function shownLine(line: string): string {
  return printable(JSON.stringify(line.length > 20 ? `${line.slice(0, 20)}…` : line), 48);
}

function problem(shown: string, line: number, text: string, hint: string) {
  return new BenchError("E_DATASET", `${shown}:${line}: ${text}`, { hint });
}

/**
 * Items of llama.cpp's HellaSwag text (`llama-perplexity --hellaswag`): 6 lines each, no
 * header; lines end in LF or CRLF, and a final line feed is optional.
 */
export function parseHellaswag(
  text: string,
  shown: string,
  limits: DatasetLimits,
): HellaswagRecord[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const records: HellaswagRecord[] = [];
  for (const [i, raw] of lines.entries()) {
    const length = raw.length * 3 > limits.maxLineBytes ? Buffer.byteLength(raw) : raw.length;
    if (length > limits.maxLineBytes) {
      throw problem(
        shown,
        i + 1,
        `is ${formatBytes(length)} long, over the ${formatBytes(limits.maxLineBytes)} limit for one line`,
        "keep each line small",
      );
    }
  }
  const strip = (line: string) => (line.endsWith("\r") ? line.slice(0, -1) : line);
  const whole = lines.length - (lines.length % linesPerItem);
  for (let start = 0; start < whole; start += linesPerItem) {
    const [context, label, ...endings] = lines.slice(start, start + linesPerItem).map(strip);
    if (label === undefined || !/^[0-3]$/.test(label)) {
      throw problem(
        shown,
        start + 2,
        `the gold index ${shownLine(label ?? "")} is not 0, 1, 2 or 3 (item ${start / linesPerItem + 1})`,
        `the file is llama.cpp's HellaSwag text, ${layout}`,
      );
    }
    records.push({
      context: context as string,
      label: Number(label),
      endings: endings as HellaswagRecord["endings"],
    });
  }
  if (whole !== lines.length) {
    throw problem(
      shown,
      lines.length,
      `has ${lines.length} lines, not a multiple of 6 (item ${whole / linesPerItem + 1} has only ${lines.length - whole})`,
      `the file is llama.cpp's HellaSwag text, ${layout}`,
    );
  }
  return records;
}
