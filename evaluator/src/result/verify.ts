import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  statSync,
} from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { type ErrorCode, isBenchError } from "../errors/index.ts";
import type { ResultDocument } from "../generated/result.ts";
import type { TrustList } from "../generated/trust.ts";
import { type ComparedSample, comparisonsOf } from "../pure/comparisons.ts";
import { hiddenCharacterIn, printable } from "../pure/text.ts";
import { validateEncoded } from "./encoded.ts";
import { keyIdOf } from "./keys.ts";
import { signatureMatches } from "./sign.ts";
import { readStrictJsonFile } from "./strict-json.ts";
import { trustListName } from "./trust-list.ts";

/** A result document is a few kilobytes; anything near this size is not one. */
const resultMaxBytes = 64 * 1024 * 1024;

export interface VerifiedResult {
  file: string;
  /** trusted: valid signature by a key in the trust list; untrusted: valid signature by another key; invalid: anything else. */
  status: "trusted" | "untrusted" | "invalid";
  problems: string[];
  /**
   * For an invalid document, the code of its first problem: E_JSON or E_SCHEMA (unreadable),
   * E_RESULT_PATH (ids do not match the path), E_SIGNATURE (signature or samples digest).
   */
  code?: ErrorCode;
  document?: ResultDocument;
  signer?: { keyId: string; kind: string; name?: string; owner?: string };
}

export interface VerifyOptions {
  /** The results folder: each document must be `<root>/<org>/<model>/<suite>/<run>.json`. */
  root: string;
}

/** An entry of a results folder that listing passed over, and why. */
export interface SkippedEntry {
  path: string;
  reason: string;
}

/**
 * Every result document below `dir` (the trust list, samples files and hidden folders excluded),
 * sorted, and the entries skipped with the reason: symbolic links are never followed (they could
 * lead out of the folder), and special files (FIFOs, devices, sockets) are never read.
 */
export function scanResultFiles(dir: string): { files: string[]; skipped: SkippedEntry[] } {
  const files: string[] = [];
  const skipped: SkippedEntry[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      const hidden = entry.name.startsWith(".");
      if (entry.isDirectory()) {
        if (!hidden) walk(full);
      } else if (entry.isSymbolicLink()) {
        if (!hidden) skipped.push({ path: full, reason: "is a symbolic link (not followed)" });
      } else if (entry.name.endsWith(".json") && entry.name !== trustListName) {
        if (entry.isFile()) files.push(full);
        else skipped.push({ path: full, reason: "is not a regular file (not read)" });
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    files: files.sort(byPath),
    skipped: skipped.sort((a, b) => byPath(a.path, b.path)),
  };
}

/** The result documents of `scanResultFiles`. */
export function listResultFiles(dir: string): string[] {
  return scanResultFiles(dir).files;
}

/**
 * The results folder that `path` (given to `bench verify`) belongs to. For a file, the folder
 * three levels above its own, which the layout `<root>/<org>/<model>/<suite>/<run>.json` implies.
 * For a folder, the nearest one at or up to three levels above it that holds the trust list (so
 * `results/acme` checks against `results`), else the folder itself.
 */
export function resultsRootFor(path: string): string {
  const absolute = resolve(path);
  if (!statSync(absolute).isDirectory()) return resolve(absolute, "../../../..");
  for (let folder = absolute, up = 0; up <= 3; folder = dirname(folder), up += 1) {
    if (existsSync(join(folder, trustListName))) return folder;
  }
  return absolute;
}

/**
 * Checks one result document: strict JSON, schema, canonical base64 signature and key, that its
 * ids match its path below `options.root`, the signature, the samples digest, and whether its
 * signer is in the trust list. Never throws for a problem of the document; lists them all.
 */
export function verifyResultFile(
  file: string,
  trust: TrustList,
  options: VerifyOptions,
): VerifiedResult {
  const invalid = (
    problems: string[],
    code: ErrorCode,
    document?: ResultDocument,
  ): VerifiedResult => ({
    file,
    status: "invalid",
    problems,
    code,
    ...(document ? { document } : {}),
  });
  const link = lstatSync(file, { throwIfNoEntry: false });
  if (!link) return invalid([`${file}: does not exist`], "E_NOT_FOUND");
  if (!link.isFile()) {
    return invalid(
      [
        `${file}: ${link.isSymbolicLink() ? "is a symbolic link" : "is not a regular file"} (a result must be a regular file)`,
      ],
      "E_NOT_A_FILE",
    );
  }
  let document: ResultDocument;
  try {
    const data = readStrictJsonFile(file, {
      source: file,
      maxBytes: resultMaxBytes,
      kind: "result documents",
    });
    const signature = (data as { signature?: Record<string, unknown> } | null)?.signature;
    document = validateEncoded("result", data, file, [
      { path: "$.signature.publicKey", value: signature?.publicKey, bytes: 32 },
      { path: "$.signature.value", value: signature?.value, bytes: 64 },
    ]);
  } catch (error) {
    if (!isBenchError(error)) throw error;
    return invalid(error.message.split("\n"), error.code);
  }
  const hidden = hiddenTextProblems(file, document);
  if (hidden.length > 0) return invalid(hidden, "E_SCHEMA", document);
  const problems = identityProblems(file, options.root, document);
  const code: ErrorCode = problems.length > 0 ? "E_RESULT_PATH" : "E_SIGNATURE";
  const signature = document.signature;
  if (!signature)
    return invalid(
      [...problems, `${file}: $.signature: is missing (the document is unsigned)`],
      code,
      document,
    );
  if (keyIdOf(signature.publicKey) !== signature.keyId) {
    problems.push(
      `${file}: $.signature.keyId: ${signature.keyId} does not belong to $.signature.publicKey`,
    );
  }
  if (!signatureMatches(document)) {
    problems.push(
      `${file}: $.signature.value: does not match the document (it was changed after signing, or signed by another key)`,
    );
  }
  problems.push(...samplesProblems(file, document));
  const entry = trust.keys.find(
    (k) => k.keyId === signature.keyId && k.publicKey === signature.publicKey,
  );
  const signer = {
    keyId: signature.keyId,
    kind: signature.signer.kind,
    ...(signature.signer.name ? { name: signature.signer.name } : {}),
    ...(entry ? { owner: entry.owner } : {}),
  };
  if (problems.length > 0) return { file, status: "invalid", problems, code, document, signer };
  return { file, status: entry ? "trusted" : "untrusted", problems, document, signer };
}

/**
 * Every string of a result (keys included) is plain one-line text: a bidi override in a model
 * name would show reviewers and the leaderboard something other than what is stored.
 */
function hiddenTextProblems(file: string, document: ResultDocument): string[] {
  const problems: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (problems.length >= 10) return;
    if (typeof value === "string") {
      const found = hiddenCharacterIn(value);
      if (found) {
        problems.push(
          `${file}: ${path}: contains ${found} (expected plain one-line text: no control, bidi or invisible characters)`,
        );
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        walk(item, `${path}[${i}]`);
      });
    } else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        const step = /^[A-Za-z_][\w-]*$/.test(key)
          ? `.${key}`
          : `[${printable(JSON.stringify(key), 40)}]`;
        if (hiddenCharacterIn(key) !== undefined) {
          problems.push(
            `${file}: ${path}${step}: the key contains a control, bidi or invisible character`,
          );
        }
        walk(item, `${path}${step}`);
      }
    }
  };
  walk(document, "$");
  return problems;
}

/** A string from a document for a message: quoted, and cut so a message stays one short line. */
function quote(value: string): string {
  return printable(JSON.stringify(value), 82);
}

/** The ids of a result are its path: a document cannot claim another model, suite or run. */
function identityProblems(file: string, root: string, document: ResultDocument): string[] {
  const rel = relative(resolve(root), resolve(file));
  const parts = rel.split(sep);
  const [org, model, suite, name] = parts;
  if (
    rel.startsWith("..") ||
    isAbsolute(rel) ||
    parts.length !== 4 ||
    !org ||
    !model ||
    !suite ||
    !name?.endsWith(".json")
  ) {
    return [
      `${file}: is not at <org>/<model>/<suite>/<run>.json below the results folder ${root} (a result's path names what it measured)`,
    ];
  }
  const problems: string[] = [];
  const expected: [string, string, string, string][] = [
    ["$.model.id", document.model.id, `${org}/${model}`, "its <org>/<model> folders"],
    ["$.suite.id", document.suite.id, suite, "its <suite> folder"],
    ["$.run.id", document.run.id, name.slice(0, -".json".length), "its file name"],
  ];
  for (const [path, actual, wanted, from] of expected) {
    if (actual !== wanted) {
      problems.push(
        `${file}: ${path}: ${quote(actual)} does not match the file's path (expected ${quote(wanted)}, from ${from})`,
      );
    }
  }
  // A folder on the way may be a symbolic link even when the file itself is not.
  const real = relative(realpathSync(root), realpathSync(file));
  if (real !== rel) {
    problems.push(`${file}: leaves the results folder ${root} through a symbolic link`);
  }
  return problems;
}

/** sha256 of a file read in chunks: memory stays bounded whatever the file's size. */
function sha256FileSync(path: string): string {
  const hash = createHash("sha256");
  const chunk = Buffer.alloc(1 << 20);
  const fd = openSync(path, "r");
  try {
    for (let read = readSync(fd, chunk); read > 0; read = readSync(fd, chunk)) {
      hash.update(chunk.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/** The samples file is `<run.id>.samples.jsonl` beside the document, a regular file, unchanged. */
function samplesProblems(file: string, document: ResultDocument): string[] {
  const expected = `${document.run.id}.samples.jsonl`;
  if (document.samples.path !== expected) {
    return [
      `${file}: $.samples.path: ${quote(document.samples.path)} is not allowed (expected ${quote(expected)}, beside the document)`,
    ];
  }
  const samplesPath = join(dirname(file), expected);
  const shown = relative(process.cwd(), samplesPath);
  const stat = lstatSync(samplesPath, { throwIfNoEntry: false });
  if (!stat) return [`${file}: $.samples.path: ${shown} is missing`];
  if (!stat.isFile()) {
    return [
      `${file}: $.samples.path: ${shown} ${stat.isSymbolicLink() ? "is a symbolic link" : "is not a regular file"} (expected a regular file)`,
    ];
  }
  // With comparisons to recount, the file is read once, and the bytes hashed are those counted.
  const bytes = document.comparisons === undefined ? undefined : readFileSync(samplesPath);
  const digest = bytes
    ? createHash("sha256").update(bytes).digest("hex")
    : sha256FileSync(samplesPath);
  if (digest !== document.samples.sha256) {
    return [
      `${file}: $.samples.sha256: ${shown} has sha256 ${digest} (expected ${document.samples.sha256}); the samples were changed`,
    ];
  }
  return bytes ? comparisonProblems(file, document, bytes.toString("utf8")) : [];
}

/**
 * The document's `comparisons` are what its samples' pairwise verdicts count: the site rates
 * models from them, so a signer cannot claim wins its items do not hold.
 */
function comparisonProblems(file: string, document: ResultDocument, text: string): string[] {
  const samples: ComparedSample[] = [];
  const lines = text.split("\n");
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "") continue;
    try {
      samples.push(JSON.parse(line) as ComparedSample);
    } catch {
      return [`${file}: $.comparisons: line ${i + 1} of the samples file is not JSON`];
    }
  }
  const counted = JSON.stringify(comparisonsOf(samples));
  if (counted === JSON.stringify(document.comparisons)) return [];
  return [
    `${file}: $.comparisons: do not match the pairwise verdicts in the samples file (expected ${printable(counted, 300)})`,
  ];
}
