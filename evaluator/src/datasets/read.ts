import { BenchError } from "../errors/index.ts";
import type { Dataset } from "../generated/suite.ts";
import { escapeHidden, printable } from "../pure/text.ts";
import { parseDelimited } from "./csv.ts";
import { parseHellaswag } from "./hellaswag.ts";
import { parseJsonRecords } from "./json.ts";
import { type DatasetLimits, datasetLimits, parseJsonl } from "./load.ts";
import { decodeText, readDeclared } from "./source.ts";

/** How a suite declares a dataset file, less its pin (schemas/suite.schema.json `$defs/dataset`). */
export type DatasetDeclaration = Omit<Dataset, "sha256">;

export type DatasetFormat = Dataset["format"];

type Reader = (
  content: Buffer,
  declaration: DatasetDeclaration,
  shown: string,
  limits: DatasetLimits,
) => Record<string, unknown>[];

function delimited(delimiter: string): Reader {
  return (content, declaration, shown, limits) => {
    const what = delimiter === "\t" ? "TSV text" : "CSV text";
    if (declaration.header === undefined && declaration.columns === undefined) {
      throw new BenchError(
        "E_DATASET",
        `${shown}: declares neither header nor columns for a ${declaration.format} file`,
        { hint: "set header: true when the first row names the columns, else columns: [...]" },
      );
    }
    return parseDelimited(
      decodeText(content, shown, what),
      {
        delimiter,
        header: declaration.header ?? false,
        ...(declaration.columns ? { columns: declaration.columns } : {}),
      },
      shown,
      limits,
    );
  };
}

/** One reader per `format`. */
const readers = {
  jsonl: (content, _, shown, limits) => parseJsonl(content, shown, limits),
  json: (content, declaration, shown, limits) =>
    parseJsonRecords(
      decodeText(content, shown, "JSON text"),
      {
        records: declaration.records ?? "",
        ...(declaration.keyField === undefined ? {} : { keyField: declaration.keyField }),
      },
      shown,
      limits,
    ),
  csv: delimited(","),
  tsv: delimited("\t"),
  "hellaswag-llamacpp": (content, _, shown, limits) =>
    parseHellaswag(decodeText(content, shown, "text"), shown, limits),
} satisfies Record<DatasetFormat, Reader>;

/**
 * Records of a dataset file as published, read as `declaration` says: its format, its
 * compression (by default from the declared file name's .gz or .bz2), and the format's options.
 * The file, its decompressed content and each record stay within `limits`; errors are
 * `E_DATASET` and read `label:line: problem` (or `label: problem` where no line applies).
 * CSV and TSV values stay strings.
 */
export function readDataset(
  path: string,
  declaration: DatasetDeclaration,
  label = path,
  limits: DatasetLimits = datasetLimits,
): Record<string, unknown>[] {
  const shown = escapeHidden(label);
  const reader: Reader | undefined = Object.hasOwn(readers, declaration.format)
    ? readers[declaration.format]
    : undefined;
  if (!reader) {
    throw new BenchError(
      "E_DATASET",
      `${shown}: the format ${printable(JSON.stringify(String(declaration.format)), 40)} is unknown (expected one of: ${Object.keys(readers).join(", ")})`,
    );
  }
  const records = reader(
    readDeclared(path, declaration, shown, limits),
    declaration,
    shown,
    limits,
  );
  return declaration.expand === undefined
    ? records
    : expandRecords(records, declaration.expand, shown);
}

/**
 * One record per element of each record's array field `field`: the element's fields beside the
 * record's other fields, in order. Errors are `E_DATASET` and read `label: problem`.
 */
export function expandRecords(
  records: readonly Record<string, unknown>[],
  field: string,
  shown: string,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const name = printable(JSON.stringify(field), 80);
  for (const [i, record] of records.entries()) {
    const list = Object.hasOwn(record, field) ? record[field] : undefined;
    if (!Array.isArray(list)) {
      throw new BenchError(
        "E_DATASET",
        `${shown}: record ${i + 1} has ${list === undefined ? "no field" : "a field that is not an array:"} ${name} (expand needs an array of objects)`,
        { hint: "set expand to the field that holds each record's list of items" },
      );
    }
    const { [field]: _, ...rest } = record;
    for (const [j, element] of list.entries()) {
      if (element === null || typeof element !== "object" || Array.isArray(element)) {
        throw new BenchError(
          "E_DATASET",
          `${shown}: record ${i + 1}: ${name} item ${j + 1} is not an object (expand makes each item a record)`,
          { hint: "expand applies to a list of objects, e.g. questions: [{question: …}, …]" },
        );
      }
      const clash = Object.keys(element).find((key) => Object.hasOwn(rest, key));
      if (clash !== undefined) {
        throw new BenchError(
          "E_DATASET",
          `${shown}: record ${i + 1}: ${name} item ${j + 1} has a field ${printable(JSON.stringify(clash), 80)} that the record has too`,
          { hint: "expand needs item fields that differ from the record's own" },
        );
      }
      // Spread copies own data properties: a field named __proto__ stays plain data.
      out.push({ ...rest, ...(element as Record<string, unknown>) });
    }
  }
  return out;
}
