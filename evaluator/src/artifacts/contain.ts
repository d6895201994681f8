import { closeSync, openSync, readSync, realpathSync, type Stats, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep, win32 } from "node:path";
import { BenchError } from "../errors/index.ts";
import { escapeHidden, printable } from "../pure/text.ts";

/** What a path is, in words, when a regular file was expected. */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return "a folder";
  if (stats.isFIFO()) return "a named pipe";
  if (stats.isSocket()) return "a socket";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "a device";
  return "not a regular file";
}

/**
 * The stats of `path`, which must be a regular file (symbolic links followed). `label` names the
 * path in messages; a missing path is E_NOT_FOUND unless `missing` builds another error.
 */
export function statRegularFile(path: string, label: string, missing?: () => BenchError): Stats {
  let stats: Stats | undefined;
  try {
    stats = statSync(path, { throwIfNoEntry: false });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? "unknown error";
    if (code !== "ENOTDIR") {
      throw new BenchError("E_NOT_FOUND", `${label}: cannot be read (${code})`, {
        hint: "check the path and its permissions",
        cause,
      });
    }
  }
  if (!stats) {
    throw (
      missing?.() ??
      new BenchError("E_NOT_FOUND", `${label}: no such file`, { hint: "check the path" })
    );
  }
  if (!stats.isFile()) {
    throw new BenchError("E_NOT_A_FILE", `${label}: is ${kindOf(stats)}, not a file`, {
      hint: "give the path of a regular file",
    });
  }
  return stats;
}

/**
 * Up to `maxBytes + 1` bytes of a regular file: a result longer than `maxBytes` means the file is
 * over the limit (it may have grown since it was checked), and nothing past that is read.
 */
export function readUpTo(path: string, maxBytes: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    while (total <= maxBytes) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      total += read;
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** `1.5 MiB`, `300 KiB`, `12 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1 << 20) return `${+(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1 << 10) return `${+(bytes / (1 << 10)).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Resolves `declared` (a path written in `where`, e.g. `suite.yaml: $.tasks[0].dataset.path`)
 * against the folder `from`, and checks that it stays inside `root` both as written and after
 * following symbolic links. Returns the lexical and the real path; a path that does not exist is
 * returned unchecked for links (`real` undefined), so the caller can report it as missing.
 */
export function containedPath(
  declared: string,
  from: string,
  root: string,
  where: string,
): { path: string; real: string | undefined } {
  const shown = printable(JSON.stringify(declared));
  const outside = (problem: string) =>
    new BenchError("E_PATH_ESCAPE", `${where}: ${shown} ${problem}`, {
      hint: `put the file inside ${escapeHidden(root)} and give its path relative to the file that declares it`,
    });
  if (declared === "" || /\p{Cc}/u.test(declared)) {
    throw new BenchError(
      "E_INVALID",
      `${where}: ${shown} is empty or holds a control character (expected a relative path)`,
      { hint: "write a plain relative path such as data/test.jsonl" },
    );
  }
  if (isAbsolute(declared) || win32.isAbsolute(declared)) {
    throw outside(`is absolute (expected a path relative to ${escapeHidden(from)})`);
  }
  const lexicalRoot = resolve(root);
  const path = resolve(from, declared);
  if (!inside(lexicalRoot, path)) throw outside(`leaves ${escapeHidden(lexicalRoot)}`);
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return { path, real: undefined };
  }
  let realRoot: string;
  try {
    realRoot = realpathSync(lexicalRoot);
  } catch {
    realRoot = lexicalRoot;
  }
  if (!inside(realRoot, real)) {
    throw outside(`leads outside ${escapeHidden(lexicalRoot)} through a symbolic link`);
  }
  return { path, real };
}
