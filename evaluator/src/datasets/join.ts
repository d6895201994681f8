import { formatBytes } from "../artifacts/contain.ts";
import { type ArtifactSource, type ResolveOptions, resolveArtifact } from "../artifacts/resolve.ts";
import { BenchError, isBenchError } from "../errors/index.ts";
import type { Dataset } from "../generated/suite.ts";
import { escapeHidden, printable } from "../pure/text.ts";
import { parseStrictJson } from "../result/strict-json.ts";
import { compileExpression } from "../template/jinja.ts";
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

/** A dataset's `select`, less its pin (schemas/suite.schema.json `$defs/dataset/properties/select`). */
export type SelectDeclaration = Omit<NonNullable<Dataset["select"]>, "sha256">;

const isId = (v: unknown): v is string | number => typeof v === "string" || typeof v === "number";

/**
 * The `records` whose `select.field` is one of the ids the JSON file at `path` names (its keys
 * when it is an object, its items when it is an array of strings or numbers), compared as text,
 * in the records' order. Every id must name a record and every record must have the field.
 * Errors are `E_DATASET` and read `label: problem`.
 */
export function selectRecords(
  records: readonly Record<string, unknown>[],
  path: string,
  select: SelectDeclaration,
  label = path,
  limits: DatasetLimits = datasetLimits,
): Record<string, unknown>[] {
  const shown = escapeHidden(label);
  const text = decodeText(readDeclared(path, select, shown, limits), shown, "JSON text");
  let document: unknown;
  try {
    document = parseStrictJson(text, { source: shown, maxDepth: limits.maxDepth });
  } catch (cause) {
    if (!isBenchError(cause)) throw cause;
    throw new BenchError("E_DATASET", escapeHidden((cause as Error).message), {
      hint: "the select file is one JSON document: an object keyed by id, or an array of ids",
      cause,
    });
  }
  let ids: string[];
  if (Array.isArray(document)) {
    const bad = document.findIndex((v) => !isId(v));
    if (bad >= 0) {
      throw new BenchError(
        "E_DATASET",
        `${shown}: item ${bad + 1} is not a string or a number (expected an array of ids)`,
        { hint: 'list the ids of the records to keep, e.g. ["12377809", …]' },
      );
    }
    ids = document.map(String);
  } else if (document !== null && typeof document === "object") {
    ids = Object.keys(document);
  } else {
    throw new BenchError(
      "E_DATASET",
      `${shown}: is ${document === null ? "null" : `a ${typeof document}`} (expected an object keyed by id, or an array of ids)`,
      {
        hint: "pin the file that names the split's records, e.g. PubMedQA's test_ground_truth.json",
      },
    );
  }
  const wanted = new Set(ids);
  const field = select.field;
  const kept: Record<string, unknown>[] = [];
  const found = new Set<string>();
  for (const [i, record] of records.entries()) {
    const value = Object.hasOwn(record, field) ? record[field] : undefined;
    if (!isId(value)) {
      throw new BenchError(
        "E_DATASET",
        `${shown}: record ${i + 1} has ${value === undefined ? "no field" : "a field that is not a string or a number:"} ${printable(JSON.stringify(field), 80)} (select compares it with the ids)`,
        {
          hint: "set select.field to the record field that holds the id (keyField names it for keyed JSON)",
        },
      );
    }
    if (wanted.has(String(value))) {
      kept.push(record);
      found.add(String(value));
    }
  }
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new BenchError(
      "E_DATASET",
      `${shown}: names ${missing.length} id(s) that no record has (first: ${printable(JSON.stringify(missing[0]), 40)})`,
      { hint: "check that select pins the file that goes with the dataset (the same release)" },
    );
  }
  return kept;
}

/**
 * The records of a dataset file as `readDataset` reads them, with the declaration's `join` and
 * `select` (when it has them) resolved as the dataset was (`source`, its field suffixed `.join`
 * or `.select`) and applied, join first, then its `where`.
 */
export async function readJoined(
  path: string,
  declaration: Dataset | DatasetDeclaration,
  source: ArtifactSource,
  options: ResolveOptions,
  label = path,
): Promise<Record<string, unknown>[]> {
  let records = readDataset(path, declaration, label);
  if (declaration.join !== undefined) {
    const field = `${source.field}.join`;
    const file = await resolveArtifact(declaration.join, { ...source, field }, options);
    records = joinLines(records, file.path, declaration.join, `${label}.join`);
  }
  if (declaration.select !== undefined) {
    const field = `${source.field}.select`;
    const file = await resolveArtifact(declaration.select, { ...source, field }, options);
    records = selectRecords(records, file.path, declaration.select, `${label}.select`);
  }
  if (declaration.where !== undefined) records = whereRecords(records, declaration.where, label);
  return records;
}

/** The records for which the Jinja expression `where` is true, in order. */
export function whereRecords(
  records: readonly Record<string, unknown>[],
  where: string,
  label: string,
): Record<string, unknown>[] {
  const source = { file: label, path: "where" };
  const test = compileExpression(where, source);
  return records.filter((record, i) => {
    const value = test(record, { record: i });
    if (typeof value !== "boolean") {
      throw new BenchError(
        "E_DATASET",
        `${escapeHidden(label)}: where gave ${printable(JSON.stringify(value), 60)} for record ${i} (expected true or false)`,
        { hint: "write where as a comparison, e.g. task_id >= 11 and task_id <= 510" },
      );
    }
    return value;
  });
}
