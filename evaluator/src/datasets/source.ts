import { basename } from "node:path";
import { gunzipSync } from "node:zlib";
import { formatBytes } from "../artifacts/contain.ts";
import { BenchError } from "../errors/index.ts";
import { firstInvalidUtf8 } from "../pure/text.ts";
import { bunzip, InputTruncated, OutputTooLarge } from "./bunzip.ts";
import { type DatasetLimits, readPlain } from "./load.ts";

export type Compression = "none" | "gzip" | "bz2";

/** The declared compression, else the one the file name's extension names. */
export function compressionOf(declared: Compression | undefined, fileName: string): Compression {
  if (declared) return declared;
  if (/\.gz$/i.test(fileName)) return "gzip";
  if (/\.bz2$/i.test(fileName)) return "bz2";
  return "none";
}

const bz2Magics = [
  [0x31, 0x41, 0x59, 0x26, 0x53, 0x59], // a block: the digits of pi
  [0x17, 0x72, 0x45, 0x38, 0x50, 0x90], // the end of an empty stream: the digits of sqrt(pi)
];

/** What the first bytes say the file is, when they are a gzip or a bzip2 header. */
export function packedAs(bytes: Uint8Array): Compression | undefined {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 0x08) return "gzip";
  const level = bytes[3] ?? 0;
  if (
    bytes[0] === 0x42 &&
    bytes[1] === 0x5a &&
    bytes[2] === 0x68 &&
    level >= 0x31 &&
    level <= 0x39 &&
    bz2Magics.some((magic) => magic.every((byte, i) => bytes[4 + i] === byte))
  )
    return "bz2";
  return undefined;
}

/**
 * The content of a dataset file: read within `limits.maxFileBytes`, then decompressed, stopping
 * as soon as the output passes the same limit (a small bomb is never inflated in full).
 */
export function readContent(
  path: string,
  compression: Compression,
  shown: string,
  limits: DatasetLimits,
): Buffer {
  const bytes = readPlain(path, shown, limits);
  if (compression === "none") return bytes;
  const tooBig = () =>
    new BenchError(
      "E_DATASET",
      `${shown}: decompresses to more than the ${formatBytes(limits.maxFileBytes)} limit for a dataset file`,
      { hint: "use a smaller dataset, or split it into several tasks" },
    );
  const corrupt = (problem: string, cause: unknown) => {
    const actual = packedAs(bytes);
    return new BenchError("E_DATASET", `${shown}: is not valid ${compression} (${problem})`, {
      hint:
        actual && actual !== compression
          ? `the file looks like ${actual}: set compression: ${actual}`
          : actual
            ? "the file is damaged or cut short: fetch it again and check its sha256"
            : "the file is not compressed: set compression: none",
      cause,
    });
  };
  if (compression === "gzip") {
    try {
      return gunzipSync(bytes, { maxOutputLength: limits.maxFileBytes, chunkSize: 1 << 16 });
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw tooBig();
      // zlib's messages are fixed phrases ("unexpected end of file", "incorrect header check").
      throw corrupt((cause as Error).message, cause);
    }
  }
  try {
    return bunzip(bytes, limits.maxFileBytes);
  } catch (cause) {
    if (cause instanceof OutputTooLarge) throw tooBig();
    if (cause instanceof InputTruncated) throw corrupt("the file ends inside a stream", cause);
    // seek-bzip's messages are fixed phrases ("Not bzip data: bad magic", "Data error").
    throw corrupt(cause instanceof TypeError ? cause.message : "unreadable", cause);
  }
}

const fatal = new TextDecoder("utf-8", { fatal: true });

/** The line (1-based) that holds byte `offset`. */
export function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < offset; i = bytes.indexOf(0x0a, i + 1)) {
    line += 1;
  }
  return line;
}

/**
 * `bytes` as text (a leading byte order mark dropped), refusing binary content and invalid
 * UTF-8 with `label:line: problem`; `what` names the expected content ("CSV text").
 */
export function decodeText(bytes: Uint8Array, shown: string, what: string): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const packed = packedAs(bytes);
    const line = lineAt(bytes, nul);
    const column = nul - (bytes.lastIndexOf(0x0a, nul) + 1) + 1;
    throw new BenchError(
      "E_DATASET",
      `${shown}:${line}: holds a NUL byte at byte ${column} (binary content, not ${what})`,
      {
        hint: packed
          ? `the file looks like ${packed}: set compression: ${packed}`
          : `a dataset of this format is ${what}`,
      },
    );
  }
  try {
    return fatal.decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const column = bad - (bytes.lastIndexOf(0x0a, bad) + 1) + 1;
    throw new BenchError(
      "E_DATASET",
      `${shown}:${lineAt(bytes, bad)}: is not valid UTF-8 (byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, "0")} at byte ${column})`,
      { hint: "save the dataset as UTF-8" },
    );
  }
}

/** How a file is named and packed in its declaration (a dataset, or the file it joins). */
export interface PackedFile {
  url?: string;
  path?: string;
  fileName?: string;
  compression?: Compression;
}

/** The declared file name: `fileName`, else the last segment of `url` or `path`. */
export function declaredName(declaration: PackedFile, path: string): string {
  if (declaration.fileName !== undefined) return declaration.fileName;
  if (declaration.url !== undefined) {
    try {
      return decodeURIComponent(basename(new URL(declaration.url).pathname));
    } catch {
      return "";
    }
  }
  return basename(declaration.path ?? path);
}

/**
 * The content of a declared file, decompressed as declared or as its name says; a compressed file
 * read as uncompressed is an error that says how to declare it.
 */
export function readDeclared(
  path: string,
  declaration: PackedFile,
  shown: string,
  limits: DatasetLimits,
): Buffer {
  const compression = compressionOf(declaration.compression, declaredName(declaration, path));
  const content = readContent(path, compression, shown, limits);
  const packed = compression === "none" ? packedAs(content) : undefined;
  if (packed) {
    throw new BenchError(
      "E_DATASET",
      `${shown}: is ${packed} data, but the declaration reads it uncompressed`,
      { hint: `set compression: ${packed}, or name the file with its .gz or .bz2 extension` },
    );
  }
  return content;
}
