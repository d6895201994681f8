import { formatBytes } from "../artifacts/contain.ts";
import { type ArtifactSource, type ResolveOptions, resolveArtifact } from "../artifacts/resolve.ts";
import { BenchError } from "../errors/index.ts";
import type { Dataset } from "../generated/suite.ts";
import { escapeHidden, printable } from "../pure/text.ts";
import { type DatasetLimits, datasetLimits } from "./load.ts";
import { type DatasetDeclaration, readDataset } from "./read.ts";
import { decodeText, readDeclared } from "./source.ts";

/** A dataset's `join`, less its pin (schemas/suite.schema.json `$defs/dataset/properties/join`). */
export type JoinDeclaration = Omit<NonNullable<Dataset["join"]>, "sha256">;

/** The lines of `text`: split at LF, a CR before it dropped, a final line break ending the last. */
function linesOf(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
}

/**
 * `records` with the lines of the file at `path` joined in by position: line n becomes
 * `join.field` of record n (a new object; `records` are left as they are). The file is read within
 * `limits`, decompressed as declared or as its name says, and must be UTF-8 text with exactly one
 * line per record, none longer than a record may be; no record may already have the field.
 * Errors are `E_DATASET` and read `label: problem`.
 */
export function joinLines(
  records: readonly Record<string, unknown>[],
  path: string,
  join: JoinDeclaration,
  label = path,
  limits: DatasetLimits = datasetLimits,
): Record<string, unknown>[] {
  const shown = escapeHidden(label);
  const content = readDeclared(path, join, shown, limits);
  const lines = linesOf(decodeText(content, shown, "text, one value per line"));
  if (lines.length !== records.length) {
    throw new BenchError(
      "E_DATASET",
      `${shown}: holds ${lines.length} line(s) for ${records.length} record(s) (expected one line per record, in the dataset's order)`,
      { hint: "check that the join pins the file that goes with the dataset (the same split)" },
    );
  }
  const field = join.field;
  return records.map((record, i) => {
    if (Object.hasOwn(record, field)) {
      throw new BenchError(
        "E_DATASET",
        `${shown}: record ${i + 1} already has a field ${printable(JSON.stringify(field), 80)} (expected the join to add a new one)`,
        { hint: "name the joined field after none of the dataset's fields" },
      );
    }
    const line = lines[i] as string;
    if (Buffer.byteLength(line) > limits.maxLineBytes) {
      throw new BenchError(
        "E_DATASET",
        `${shown}:${i + 1}: is ${formatBytes(Buffer.byteLength(line))} long, over the ${formatBytes(limits.maxLineBytes)} limit for one record`,
        { hint: "a joined file holds one short value per line" },
      );
    }
    // A computed key defines an own property, so a field named __proto__ stays plain data.
    return { ...record, [field]: line };
  });
}

/**
 * The records of a dataset file as `readDataset` reads them, with the declaration's `join` (when
 * it has one) resolved as the dataset was (`source`, its field suffixed `.join`) and joined in.
 */
export async function readJoined(
  path: string,
  declaration: Dataset | DatasetDeclaration,
  source: ArtifactSource,
  options: ResolveOptions,
  label = path,
): Promise<Record<string, unknown>[]> {
  const records = readDataset(path, declaration, label);
  if (declaration.join === undefined) return records;
  const field = `${source.field}.join`;
  const file = await resolveArtifact(declaration.join, { ...source, field }, options);
  return joinLines(records, file.path, declaration.join, `${label}.join`);
}
