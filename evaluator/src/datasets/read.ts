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
  return reader(readDeclared(path, declaration, shown, limits), declaration, shown, limits);
}
