import { createHash, randomBytes } from "node:crypto";
import {
  createReadStream,
  createWriteStream,
  type Dirent,
  lstatSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BenchError } from "../errors/index.ts";
import { cacheDir } from "../paths.ts";
import { escapeHidden, printable } from "../pure/text.ts";
import { containedPath } from "./contain.ts";

/** A pinned artifact as declared in a manifest or suite. */
export interface ArtifactRef {
  url?: string;
  path?: string;
  sha256: string;
  fileName?: string;
}

export interface ArtifactSource {
  /** The file that declared the artifact (paths resolve against its folder). */
  declaredIn: string;
  /** The JSON path of the declaration, e.g. `$.weights`. */
  field: string;
  /**
   * The folder a local `path` must stay in, symbolic links followed: the repository for a model
   * manifest, the suite's folder for a suite.
   */
  root: string;
}

/** Bounds on the walk of BENCH_MIRROR. */
export interface MirrorLimits {
  /** Deepest folder level looked into, the mirror itself being 0. */
  maxDepth: number;
  /** Most folder entries examined in one walk. */
  maxEntries: number;
}

export const mirrorLimits: MirrorLimits = { maxDepth: 16, maxEntries: 100_000 };

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  /** Told about anything skipped or repaired (unreadable mirror folders, bad cache entries). */
  onWarning?: (message: string) => void;
  mirrorLimits?: MirrorLimits;
}

const warnOnStderr = (message: string) => {
  process.stderr.write(`warning: ${message}\n`);
};

export interface ResolvedArtifact {
  path: string;
  sha256: string;
  origin: "path" | "cache" | "mirror" | "download";
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

/** The stats of `path`, following links, or undefined when it cannot be read. */
function statOrNothing(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/**
 * Regular files below `mirror` whose name is one of `names`, breadth first, so that files near
 * the top are found first. Mirrors are often folders of symbolic links: links are followed, but
 * each real folder is read once (no loops, no diamonds), down to `limits.maxDepth`, and at most
 * `limits.maxEntries` entries are examined.
 */
function* candidatesUnder(
  mirror: string,
  names: ReadonlySet<string>,
  limits: MirrorLimits,
  warn: (message: string) => void,
): Generator<string> {
  const shown = `BENCH_MIRROR=${escapeHidden(mirror)}`;
  const visited = new Set<string>([realpathSync(mirror)]);
  const seenFiles = new Set<string>();
  let queue: string[] = [mirror];
  let examined = 0;
  let tooDeep = 0;
  for (let depth = 0; queue.length > 0; depth++) {
    const next: string[] = [];
    for (const folder of queue) {
      let entries: Dirent[];
      try {
        entries = readdirSync(folder, { withFileTypes: true });
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code ?? "unknown error";
        warn(`${shown}: skipped ${escapeHidden(folder)}: cannot read it (${code})`);
        continue;
      }
      for (const entry of entries) {
        examined += 1;
        if (examined > limits.maxEntries) {
          throw new BenchError(
            "E_MIRROR",
            `${shown}: examined ${limits.maxEntries} entries without finding the file (the limit on entries examined)`,
            {
              hint: "point BENCH_MIRROR at a smaller folder, or put the file at its top, named by its sha256",
            },
          );
        }
        const full = join(folder, entry.name);
        const isFolder =
          entry.isDirectory() || (entry.isSymbolicLink() && statOrNothing(full)?.isDirectory());
        if (isFolder) {
          let real: string;
          try {
            real = realpathSync(full);
          } catch {
            continue;
          }
          if (visited.has(real)) continue;
          visited.add(real);
          if (depth + 1 > limits.maxDepth) tooDeep += 1;
          else next.push(full);
        } else if (names.has(entry.name) && statOrNothing(full)?.isFile()) {
          let real: string;
          try {
            real = realpathSync(full);
          } catch {
            continue;
          }
          if (seenFiles.has(real)) continue;
          seenFiles.add(real);
          yield full;
        }
      }
    }
    queue = next;
  }
  if (tooDeep > 0) {
    warn(
      `${shown}: did not look into ${tooDeep} folder${tooDeep === 1 ? "" : "s"} more than ${limits.maxDepth} levels deep (the depth limit)`,
    );
  }
}

function mismatch(
  where: string,
  source: ArtifactSource,
  expected: string,
  actual: string,
  file: string,
) {
  return new BenchError(
    "E_SHA256_MISMATCH",
    `${source.declaredIn}: ${source.field}.sha256: ${where} ${file} has sha256 ${actual} (expected ${expected})`,
    {
      hint: "the file changed or the pin is wrong: fix the file, or update the sha256 only if you trust the new bytes",
    },
  );
}

/** Looks in the mirror by sha256 (a file named by its hash) and by file name, anywhere below it. */
async function fromMirror(
  mirror: string,
  name: string,
  sha256: string,
  limits: MirrorLimits,
  warn: (message: string) => void,
): Promise<string | undefined> {
  if (!statOrNothing(mirror)?.isDirectory()) {
    throw new BenchError("E_MIRROR", `BENCH_MIRROR=${escapeHidden(mirror)} is not a folder`, {
      hint: "point BENCH_MIRROR at a folder of artifacts, or unset it to download",
    });
  }
  for (const file of candidatesUnder(mirror, new Set([sha256, name]), limits, warn)) {
    try {
      if ((await sha256File(file)) === sha256) return file;
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? "unknown error";
      warn(
        `BENCH_MIRROR=${escapeHidden(mirror)}: skipped ${escapeHidden(file)}: cannot read it (${code})`,
      );
    }
  }
  return undefined;
}

/**
 * The cached file's path if a regular file is there; anything else in its place (a folder, a
 * link, a pipe) is removed with a warning so that a fresh copy can take its place.
 */
function cachedFile(cached: string, warn: (message: string) => void): string | undefined {
  let stats: Stats | undefined;
  try {
    stats = lstatSync(cached, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
  if (!stats) return undefined;
  if (stats.isFile()) return cached;
  const kind = stats.isDirectory()
    ? "a folder"
    : stats.isSymbolicLink()
      ? "a symbolic link"
      : "not a regular file";
  warn(`cache: removed ${escapeHidden(cached)}: it was ${kind}, where a downloaded file belongs`);
  try {
    rmSync(cached, { recursive: true, force: true });
  } catch (cause) {
    throw new BenchError(
      "E_ARTIFACT_MISSING",
      `cache: ${escapeHidden(cached)} is ${kind} and cannot be removed`,
      {
        hint: "remove it by hand, or point BENCH_CACHE at another folder",
        cause,
      },
    );
  }
  return undefined;
}

/** The file name an artifact is cached under: one plain path segment. */
function cacheName(ref: ArtifactRef, source: ArtifactSource): string {
  const field = ref.fileName === undefined ? "url" : "fileName";
  let name: string;
  try {
    name = ref.fileName ?? decodeURIComponent(basename(new URL(ref.url as string).pathname));
  } catch {
    name = "";
  }
  if (name === "" || name === "." || name === ".." || /[/\\\p{Cc}]/u.test(name)) {
    throw new BenchError(
      "E_PATH_ESCAPE",
      `${source.declaredIn}: ${source.field}.${field}: the file name ${printable(JSON.stringify(name))} is not one plain path segment`,
      { hint: "set fileName to a plain name such as model.gguf" },
    );
  }
  return name;
}

async function download(
  url: string,
  target: string,
  source: ArtifactSource,
  fetchImpl: typeof fetch,
): Promise<void> {
  let response: Response;
  try {
    response = await fetchImpl(url, { redirect: "follow" });
  } catch (cause) {
    throw new BenchError(
      "E_FETCH",
      `${source.declaredIn}: ${source.field}.url: ${printable(url, 200)} is unreachable (${(cause as Error).message})`,
      {
        hint: "check the network, or set BENCH_MIRROR to a folder that holds the file",
        cause,
      },
    );
  }
  if (!response.ok || !response.body) {
    throw new BenchError(
      "E_FETCH",
      `${source.declaredIn}: ${source.field}.url: ${printable(url, 200)} answered HTTP ${response.status}`,
      {
        hint: "check the URL; pin a URL at a fixed commit or release",
      },
    );
  }
  const partial = `${target}.partial-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await pipeline(
      Readable.fromWeb(response.body as import("node:stream/web").ReadableStream),
      createWriteStream(partial),
    );
    renameSync(partial, target);
  } finally {
    rmSync(partial, { force: true });
  }
}

/**
 * Resolves an artifact to a verified local file: a local `path`, else the content-addressed
 * cache, else `BENCH_MIRROR`, else a download. Every file is checked against its sha256.
 */
export async function resolveArtifact(
  ref: ArtifactRef,
  source: ArtifactSource,
  options: ResolveOptions = {},
): Promise<ResolvedArtifact> {
  const env = options.env ?? process.env;
  const warn = options.onWarning ?? warnOnStderr;
  if (ref.path !== undefined) return fromPath(ref, ref.path, source);
  if (ref.url === undefined) {
    throw new BenchError(
      "E_ARTIFACT_MISSING",
      `${source.declaredIn}: ${source.field}: sets neither url nor path`,
    );
  }
  const name = cacheName(ref, source);
  const cached = join(cacheDir(env), "sha256", ref.sha256.slice(0, 2), ref.sha256, name);
  if (cachedFile(cached, warn)) {
    const actual = await sha256File(cached);
    if (actual === ref.sha256) return { path: cached, sha256: actual, origin: "cache" };
    rmSync(cached, { force: true });
  }
  if (env.BENCH_MIRROR) {
    const mirror = resolve(env.BENCH_MIRROR);
    const limits = options.mirrorLimits ?? mirrorLimits;
    const found = await fromMirror(mirror, name, ref.sha256, limits, warn);
    if (found) return { path: found, sha256: ref.sha256, origin: "mirror" };
    if (env.BENCH_OFFLINE === "1") {
      throw new BenchError(
        "E_ARTIFACT_MISSING",
        `${source.declaredIn}: ${source.field}: no file named ${escapeHidden(name)} or ${ref.sha256} with that sha256 in BENCH_MIRROR=${escapeHidden(env.BENCH_MIRROR)}`,
        { hint: "add the file to the mirror, or unset BENCH_OFFLINE to download it" },
      );
    }
  } else if (env.BENCH_OFFLINE === "1") {
    throw new BenchError(
      "E_ARTIFACT_MISSING",
      `${source.declaredIn}: ${source.field}.url: ${printable(ref.url, 200)} is not cached and BENCH_OFFLINE=1`,
      {
        hint: "set BENCH_MIRROR to a folder that holds the file, or unset BENCH_OFFLINE",
      },
    );
  }
  try {
    mkdirSync(dirname(cached), { recursive: true });
  } catch (cause) {
    throw new BenchError(
      "E_ARTIFACT_MISSING",
      `cache: cannot create ${escapeHidden(dirname(cached))} (${(cause as NodeJS.ErrnoException).code ?? "unknown error"})`,
      { hint: "remove whatever is in the way, or point BENCH_CACHE at another folder", cause },
    );
  }
  await download(ref.url, cached, source, options.fetch ?? fetch);
  const actual = await sha256File(cached);
  if (actual !== ref.sha256) {
    rmSync(cached, { force: true });
    throw mismatch("downloaded", source, ref.sha256, actual, printable(ref.url, 200));
  }
  return { path: cached, sha256: actual, origin: "download" };
}

/** A local file: inside its root (links followed), a regular file, with the pinned sha256. */
async function fromPath(
  ref: ArtifactRef,
  declared: string,
  source: ArtifactSource,
): Promise<ResolvedArtifact> {
  const where = `${source.declaredIn}: ${source.field}.path`;
  const { path, real } = containedPath(declared, dirname(source.declaredIn), source.root, where);
  const stats = real === undefined ? undefined : statOrNothing(real);
  if (!real || !stats) {
    throw new BenchError("E_ARTIFACT_MISSING", `${where}: ${escapeHidden(path)} does not exist`, {
      hint: "the path is relative to the file that declares it",
    });
  }
  if (!stats.isFile()) {
    throw new BenchError(
      "E_NOT_A_FILE",
      `${where}: ${escapeHidden(path)} is ${stats.isDirectory() ? "a folder, not a file" : "not a regular file"}`,
      { hint: "point the path at the file itself" },
    );
  }
  const actual = await sha256File(real);
  if (actual !== ref.sha256) {
    throw mismatch("local file", source, ref.sha256, actual, escapeHidden(path));
  }
  return { path: real, sha256: actual, origin: "path" };
}
