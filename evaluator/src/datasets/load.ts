import { readFileSync } from "node:fs";
import { BenchError } from "../errors/index.ts";

/** Records of a JSON Lines file; blank lines are skipped, every other line must be a JSON object. */
export function readJsonl(path: string, label = path): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  const lines = readFileSync(path, "utf8").split("\n");
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new BenchError(
        "E_DATASET",
        `${label}:${index + 1}: is not valid JSON (${(cause as Error).message})`,
        { cause },
      );
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new BenchError(
        "E_DATASET",
        `${label}:${index + 1}: is not a JSON object (expected one record per line)`,
      );
    }
    records.push(value as Record<string, unknown>);
  }
  return records;
}
