import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, writeFiles } from "../../test/helpers.ts";
import { BenchError } from "../errors/index.ts";
import { type ArtifactRef, type ArtifactSource, resolveArtifact } from "./resolve.ts";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

const weights = "tiny weights\n";
const weightsSha = sha(weights);
const other = "other bytes with the same name\n";
const otherSha = sha(other);

let root: string;
let cleanup: () => void;
let server: Server;
let deadPort: number;
let base: string;
/** Requests the server answered, by path. */
const hits: string[] = [];

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => {
    s.listen(0, "127.0.0.1", () => resolve((s.address() as AddressInfo).port));
  });
}

function close(s: Server): Promise<void> {
  s.closeAllConnections();
  return new Promise((resolve, reject) => s.close((error) => (error ? reject(error) : resolve())));
}

beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir("bench-resolve-"));
  server = createServer((request, response) => {
    const path = request.url ?? "";
    hits.push(path);
    if (path.startsWith("/files/")) {
      response.writeHead(200, { "content-type": "application/octet-stream" });
      response.end(weights);
    } else if (path.startsWith("/wrong/")) {
      response.writeHead(200, { "content-type": "application/octet-stream" });
      response.end(other);
    } else {
      response.writeHead(404);
      response.end("not found");
    }
  });
  base = `http://127.0.0.1:${await listen(server)}`;
  const dead = createServer();
  deadPort = await listen(dead);
  await close(dead);
});

afterAll(async () => {
  await close(server);
  cleanup();
});

let counter = 0;
/** A fresh BENCH_HOME and BENCH_CACHE per test, so no test sees another's cache. */
function freshEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  counter += 1;
  return {
    BENCH_HOME: join(root, `home-${counter}`),
    BENCH_CACHE: join(root, `cache-${counter}`),
    ...extra,
  };
}

function source(): ArtifactSource {
  return { declaredIn: join(root, "models", "acme", "tiny.yaml"), field: "$.weights" };
}

/** Every plain file below `dir` (none when it does not exist). */
function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The BenchError that `promise` rejects with, its temp paths and port replaced by placeholders. */
async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BenchError);
    const { code, message } = error as BenchError;
    return {
      code,
      message: message
        .replaceAll(root, "<tmp>")
        .replaceAll(base, "<server>")
        .replaceAll(`127.0.0.1:${deadPort}`, "127.0.0.1:<port>"),
    };
  }
  throw new Error("expected resolveArtifact to fail");
}

describe("local paths", () => {
  it("resolves a path relative to the declaring file", async () => {
    writeFiles(root, { "models/acme/tiny.gguf": weights });
    const resolved = await resolveArtifact({ path: "tiny.gguf", sha256: weightsSha }, source(), {
      env: freshEnv(),
    });
    expect(resolved).toEqual({
      path: join(root, "models", "acme", "tiny.gguf"),
      sha256: weightsSha,
      origin: "path",
    });
  });

  it("rejects a local file whose sha256 differs, naming the file, the field and both hashes", async () => {
    writeFiles(root, { "models/acme/changed.gguf": other });
    expect(
      await rejection(
        resolveArtifact({ path: "changed.gguf", sha256: weightsSha }, source(), {
          env: freshEnv(),
        }),
      ),
    ).toEqual({
      code: "E_SHA256_MISMATCH",
      message: `<tmp>/models/acme/tiny.yaml: $.weights.sha256: local file <tmp>/models/acme/changed.gguf has sha256 ${otherSha} (expected ${weightsSha})`,
    });
  });

  it("reports a missing local file with the field $.weights.path", async () => {
    expect(
      await rejection(
        resolveArtifact({ path: "absent.gguf", sha256: weightsSha }, source(), {
          env: freshEnv(),
        }),
      ),
    ).toEqual({
      code: "E_ARTIFACT_MISSING",
      message:
        "<tmp>/models/acme/tiny.yaml: $.weights.path: <tmp>/models/acme/absent.gguf does not exist",
    });
  });

  it("reports a declaration with neither url nor path", async () => {
    expect(
      await rejection(resolveArtifact({ sha256: weightsSha }, source(), { env: freshEnv() })),
    ).toEqual({
      code: "E_ARTIFACT_MISSING",
      message: "<tmp>/models/acme/tiny.yaml: $.weights: sets neither url nor path",
    });
  });
});

describe("BENCH_MIRROR", () => {
  it.each([
    ["by file name in a nested subfolder", { "deep/er/still/tiny.gguf": weights }, "tiny.gguf"],
    ["by a file named by its sha256", { [`by-hash/${weightsSha}`]: weights }, weightsSha],
  ])("finds the artifact %s", async (_, files, expected) => {
    counter += 1;
    const mirror = join(root, `mirror-${counter}`);
    writeFiles(mirror, files);
    const ref: ArtifactRef = { url: `${base}/files/tiny.gguf`, sha256: weightsSha };
    const resolved = await resolveArtifact(ref, source(), {
      env: freshEnv({ BENCH_MIRROR: mirror, BENCH_OFFLINE: "1" }),
    });
    expect(resolved.origin).toBe("mirror");
    expect(resolved.sha256).toBe(weightsSha);
    expect(resolved.path.endsWith(`/${expected}`)).toBe(true);
    expect(readFileSync(resolved.path, "utf8")).toBe(weights);
  });

  it("follows symbolic links in the mirror", async () => {
    const store = join(root, "store-for-links");
    writeFiles(store, { "tiny.gguf": weights });
    const mirror = join(root, "mirror-links");
    mkdirSync(mirror, { recursive: true });
    symlinkSync(join(store, "tiny.gguf"), join(mirror, "tiny.gguf"));
    symlinkSync(store, join(mirror, "linked-folder"));
    const ref: ArtifactRef = { url: `${base}/files/tiny.gguf`, sha256: weightsSha };
    const resolved = await resolveArtifact(ref, source(), {
      env: freshEnv({ BENCH_MIRROR: mirror, BENCH_OFFLINE: "1" }),
    });
    expect(resolved.origin).toBe("mirror");
  });

  it("ignores a same-named file with other bytes; offline, that names BENCH_MIRROR", async () => {
    const mirror = join(root, "mirror-stale");
    writeFiles(mirror, { "tiny.gguf": other });
    const ref: ArtifactRef = { url: `${base}/files/tiny.gguf`, sha256: weightsSha };
    expect(
      await rejection(
        resolveArtifact(ref, source(), {
          env: freshEnv({ BENCH_MIRROR: mirror, BENCH_OFFLINE: "1" }),
        }),
      ),
    ).toEqual({
      code: "E_ARTIFACT_MISSING",
      message: `<tmp>/models/acme/tiny.yaml: $.weights: no file named tiny.gguf or ${weightsSha} with that sha256 in BENCH_MIRROR=<tmp>/mirror-stale`,
    });
  });

  it("ignores a same-named file with other bytes; online, it downloads instead", async () => {
    const mirror = join(root, "mirror-stale-online");
    writeFiles(mirror, { "tiny.gguf": other });
    const ref: ArtifactRef = { url: `${base}/files/tiny.gguf`, sha256: weightsSha };
    const resolved = await resolveArtifact(ref, source(), {
      env: freshEnv({ BENCH_MIRROR: mirror }),
    });
    expect(resolved.origin).toBe("download");
    expect(readFileSync(resolved.path, "utf8")).toBe(weights);
    expect(readFileSync(join(mirror, "tiny.gguf"), "utf8")).toBe(other);
  });

  it("rejects a mirror that is not a folder", async () => {
    writeFiles(root, { "mirror-file": "not a folder" });
    const ref: ArtifactRef = { url: `${base}/files/tiny.gguf`, sha256: weightsSha };
    expect(
      await rejection(
        resolveArtifact(ref, source(), {
          env: freshEnv({ BENCH_MIRROR: join(root, "mirror-file") }),
        }),
      ),
    ).toEqual({ code: "E_MIRROR", message: "BENCH_MIRROR=<tmp>/mirror-file is not a folder" });
  });
});

describe("downloads", () => {
  it("downloads once, then answers from the content-addressed cache", async () => {
    const env = freshEnv();
    const ref: ArtifactRef = { url: `${base}/files/once/tiny.gguf`, sha256: weightsSha };
    const before = hits.length;
    const first = await resolveArtifact(ref, source(), { env });
    expect(first).toEqual({
      path: join(
        env.BENCH_CACHE as string,
        "sha256",
        weightsSha.slice(0, 2),
        weightsSha,
        "tiny.gguf",
      ),
      sha256: weightsSha,
      origin: "download",
    });
    const second = await resolveArtifact(ref, source(), { env });
    expect(second).toEqual({ ...first, origin: "cache" });
    expect(hits.slice(before)).toEqual(["/files/once/tiny.gguf"]);
    expect(filesBelow(env.BENCH_CACHE as string)).toEqual([first.path]);
  });

  it("uses fileName, not the URL's last segment, for the cached file", async () => {
    const env = freshEnv();
    const ref: ArtifactRef = {
      url: `${base}/files/resolve/main`,
      sha256: weightsSha,
      fileName: "tiny.gguf",
    };
    const resolved = await resolveArtifact(ref, source(), { env });
    expect(resolved.path.endsWith(`/${weightsSha}/tiny.gguf`)).toBe(true);
  });

  it("rejects downloaded bytes that do not match and leaves nothing in the cache", async () => {
    const env = freshEnv();
    const url = `${base}/wrong/tiny.gguf`;
    expect(
      await rejection(resolveArtifact({ url, sha256: weightsSha }, source(), { env })),
    ).toEqual({
      code: "E_SHA256_MISMATCH",
      message: `<tmp>/models/acme/tiny.yaml: $.weights.sha256: downloaded <server>/wrong/tiny.gguf has sha256 ${otherSha} (expected ${weightsSha})`,
    });
    expect(filesBelow(env.BENCH_CACHE as string)).toEqual([]);
  });

  it.each([
    [
      "an HTTP error",
      () => `${base}/missing/tiny.gguf`,
      "<tmp>/models/acme/tiny.yaml: $.weights.url: <server>/missing/tiny.gguf answered HTTP 404",
    ],
    [
      "an unreachable host",
      () => `http://127.0.0.1:${deadPort}/tiny.gguf`,
      "<tmp>/models/acme/tiny.yaml: $.weights.url: http://127.0.0.1:<port>/tiny.gguf is unreachable (fetch failed)",
    ],
  ])("reports %s as E_FETCH naming the URL", async (_, url, message) => {
    const env = freshEnv();
    expect(
      await rejection(resolveArtifact({ url: url(), sha256: weightsSha }, source(), { env })),
    ).toEqual({
      code: "E_FETCH",
      message,
    });
    expect(filesBelow(env.BENCH_CACHE as string)).toEqual([]);
  });

  it("re-fetches a corrupted cache file", async () => {
    const env = freshEnv();
    const ref: ArtifactRef = { url: `${base}/files/corrupt/tiny.gguf`, sha256: weightsSha };
    const before = hits.length;
    const first = await resolveArtifact(ref, source(), { env });
    writeFileSync(first.path, "bit rot\n");
    const second = await resolveArtifact(ref, source(), { env });
    expect(second).toEqual(first);
    expect(readFileSync(second.path, "utf8")).toBe(weights);
    expect(hits.slice(before)).toEqual(["/files/corrupt/tiny.gguf", "/files/corrupt/tiny.gguf"]);
  });

  it("refuses to download with BENCH_OFFLINE=1 and no mirror", async () => {
    const ref: ArtifactRef = { url: `${base}/files/offline/tiny.gguf`, sha256: weightsSha };
    const before = hits.length;
    expect(
      await rejection(resolveArtifact(ref, source(), { env: freshEnv({ BENCH_OFFLINE: "1" }) })),
    ).toEqual({
      code: "E_ARTIFACT_MISSING",
      message:
        "<tmp>/models/acme/tiny.yaml: $.weights.url: <server>/files/offline/tiny.gguf is not cached and BENCH_OFFLINE=1",
    });
    expect(hits.length).toBe(before);
  });

  it("answers from the cache with BENCH_OFFLINE=1", async () => {
    const env = freshEnv();
    const ref: ArtifactRef = { url: `${base}/files/warm/tiny.gguf`, sha256: weightsSha };
    await resolveArtifact(ref, source(), { env });
    const resolved = await resolveArtifact(ref, source(), { env: { ...env, BENCH_OFFLINE: "1" } });
    expect(resolved.origin).toBe("cache");
  });
});
