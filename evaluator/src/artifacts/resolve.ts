import { createHash, randomBytes } from "node:crypto";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BenchError } from "../errors/index.ts";
import { cacheDir } from "../paths.ts";

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
}

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

function* filesUnder(root: string, depth = 0): Generator<string> {
  if (depth > 8) return;
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const full = join(root, entry.name);
    // Mirrors are often folders of symbolic links: follow them.
    const kind = entry.isSymbolicLink() ? statSync(full, { throwIfNoEntry: false }) : entry;
    if (kind?.isDirectory()) yield* filesUnder(full, depth + 1);
    else if (kind?.isFile()) yield full;
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
): Promise<string | undefined> {
  if (!existsSync(mirror) || !statSync(mirror).isDirectory()) {
    throw new BenchError("E_MIRROR", `BENCH_MIRROR=${mirror} is not a folder`, {
      hint: "point BENCH_MIRROR at a folder of artifacts, or unset it to download",
    });
  }
  for (const file of filesUnder(mirror)) {
    const base = basename(file);
    if (base === sha256 || base === name) {
      if ((await sha256File(file)) === sha256) return file;
    }
  }
  return undefined;
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
      `${source.declaredIn}: ${source.field}.url: ${url} is unreachable (${(cause as Error).message})`,
      {
        hint: "check the network, or set BENCH_MIRROR to a folder that holds the file",
        cause,
      },
    );
  }
  if (!response.ok || !response.body) {
    throw new BenchError(
      "E_FETCH",
      `${source.declaredIn}: ${source.field}.url: ${url} answered HTTP ${response.status}`,
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
  options: { env?: NodeJS.ProcessEnv; fetch?: typeof fetch } = {},
): Promise<ResolvedArtifact> {
  const env = options.env ?? process.env;
  if (ref.path !== undefined) {
    const path = isAbsolute(ref.path) ? ref.path : resolve(dirname(source.declaredIn), ref.path);
    if (!existsSync(path)) {
      throw new BenchError(
        "E_ARTIFACT_MISSING",
        `${source.declaredIn}: ${source.field}.path: ${path} does not exist`,
        {
          hint: "the path is relative to the file that declares it",
        },
      );
    }
    const actual = await sha256File(path);
    if (actual !== ref.sha256) throw mismatch("local file", source, ref.sha256, actual, path);
    return { path, sha256: actual, origin: "path" };
  }
  if (ref.url === undefined) {
    throw new BenchError(
      "E_ARTIFACT_MISSING",
      `${source.declaredIn}: ${source.field}: sets neither url nor path`,
    );
  }
  const name = ref.fileName ?? decodeURIComponent(basename(new URL(ref.url).pathname));
  const cached = join(cacheDir(env), "sha256", ref.sha256.slice(0, 2), ref.sha256, name);
  if (existsSync(cached)) {
    const actual = await sha256File(cached);
    if (actual === ref.sha256) return { path: cached, sha256: actual, origin: "cache" };
    rmSync(cached, { force: true });
  }
  if (env.BENCH_MIRROR) {
    const found = await fromMirror(resolve(env.BENCH_MIRROR), name, ref.sha256);
    if (found) return { path: found, sha256: ref.sha256, origin: "mirror" };
    if (env.BENCH_OFFLINE === "1") {
      throw new BenchError(
        "E_ARTIFACT_MISSING",
        `${source.declaredIn}: ${source.field}: no file named ${name} or ${ref.sha256} with that sha256 in BENCH_MIRROR=${env.BENCH_MIRROR}`,
        { hint: "add the file to the mirror, or unset BENCH_OFFLINE to download it" },
      );
    }
  } else if (env.BENCH_OFFLINE === "1") {
    throw new BenchError(
      "E_ARTIFACT_MISSING",
      `${source.declaredIn}: ${source.field}.url: ${ref.url} is not cached and BENCH_OFFLINE=1`,
      {
        hint: "set BENCH_MIRROR to a folder that holds the file, or unset BENCH_OFFLINE",
      },
    );
  }
  mkdirSync(dirname(cached), { recursive: true });
  await download(ref.url, cached, source, options.fetch ?? fetch);
  const actual = await sha256File(cached);
  if (actual !== ref.sha256) {
    rmSync(cached, { force: true });
    throw mismatch("downloaded", source, ref.sha256, actual, ref.url);
  }
  return { path: cached, sha256: actual, origin: "download" };
}
