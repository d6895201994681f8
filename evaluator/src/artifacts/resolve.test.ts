import { createHash } from "node:crypto";
import {
  chmodSync,
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
import {
  type ArtifactRef,
  type ArtifactSource,
  mirrorLimits,
  type ResolveOptions,
  resolveArtifact,
} from "./resolve.ts";

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
  return { declaredIn: join(root, "models", "acme", "tiny.yaml"), field: "$.weights", root };
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

describe("local paths stay inside their root", () => {
  /** A suite at <tmp>/contain/suites/demo/suite.yaml whose root is its folder. */
  const suiteDir = () => join(root, "contain", "suites", "demo");
  const suiteSource = (): ArtifactSource => ({
    declaredIn: join(suiteDir(), "suite.yaml"),
    field: "$.tasks[0].dataset",
    root: suiteDir(),
  });

  beforeAll(() => {
    writeFiles(join(root, "contain"), {
      "suites/demo/data/items.jsonl": weights,
      "suites/other/items.jsonl": weights,
      "outside.jsonl": weights,
    });
    mkdirSync(join(suiteDir(), "a-folder"), { recursive: true });
    symlinkSync(join(root, "contain", "outside.jsonl"), join(suiteDir(), "link.jsonl"));
    symlinkSync(join(root, "contain", "suites", "other"), join(suiteDir(), "linked-dir"));
    symlinkSync(join(suiteDir(), "data", "items.jsonl"), join(suiteDir(), "inner-link.jsonl"));
  });

  it.each([
    ["a path in a subfolder", "data/items.jsonl", "data/items.jsonl"],
    ["a path that goes up and back in", "data/../data/items.jsonl", "data/items.jsonl"],
    ["a link to a file inside the root", "inner-link.jsonl", "data/items.jsonl"],
  ])("accepts %s", async (_, path, real) => {
    const resolved = await resolveArtifact({ path, sha256: weightsSha }, suiteSource(), {
      env: freshEnv(),
    });
    expect(resolved).toEqual({ path: join(suiteDir(), real), sha256: weightsSha, origin: "path" });
  });

  it.each([
    [
      "an absolute path",
      () => join(root, "contain", "outside.jsonl"),
      "E_PATH_ESCAPE",
      '<tmp>/contain/suites/demo/suite.yaml: $.tasks[0].dataset.path: "<tmp>/contain/outside.jsonl" is absolute (expected a path relative to <tmp>/contain/suites/demo)',
    ],
    [
      "a Windows drive path",
      () => "C:\\data\\x.jsonl",
      "E_PATH_ESCAPE",
      '<tmp>/contain/suites/demo/suite.yaml: $.tasks[0].dataset.path: "C:\\\\data\\\\x.jsonl" is absolute (expected a path relative to <tmp>/contain/suites/demo)',
    ],
    [
      "a .. escape to a sibling suite",
      () => "../other/items.jsonl",
      "E_PATH_ESCAPE",
      '<tmp>/contain/suites/demo/suite.yaml: $.tasks[0].dataset.path: "../other/items.jsonl" leaves <tmp>/contain/suites/demo',
    ],
    [
      "a .. escape to a file that does not exist",
      () => "../../../../../etc/nothing-here",
      "E_PATH_ESCAPE",
      '<tmp>/contain/suites/demo/suite.yaml: $.tasks[0].dataset.path: "../../../../../etc/nothing-here" leaves <tmp>/contain/suites/demo',
    ],
    [
      "a symbolic link to a file outside",
      () => "link.jsonl",
      "E_PATH_ESCAPE",
      '<tmp>/contain/suites/demo/suite.yaml: $.tasks[0].dataset.path: "link.jsonl" leads outside <tmp>/contain/suites/demo through a symbolic link',
    ],
    [
      "a path through a linked folder outside",
      () => "linked-dir/items.jsonl",
      "E_PATH_ESCAPE",
      '<tmp>/contain/suites/demo/suite.yaml: $.tasks[0].dataset.path: "linked-dir/items.jsonl" leads outside <tmp>/contain/suites/demo through a symbolic link',
    ],
    [
      "a folder",
      () => "a-folder",
      "E_NOT_A_FILE",
      "<tmp>/contain/suites/demo/suite.yaml: $.tasks[0].dataset.path: <tmp>/contain/suites/demo/a-folder is a folder, not a file",
    ],
    [
      "a path with a control character",
      () => "data/\u001b[31mitems.jsonl",
      "E_INVALID",
      '<tmp>/contain/suites/demo/suite.yaml: $.tasks[0].dataset.path: "data/\\u001b[31mitems.jsonl" is empty or holds a control character (expected a relative path)',
    ],
  ])("rejects %s", async (_, path, code, message) => {
    expect(
      await rejection(
        resolveArtifact({ path: path(), sha256: weightsSha }, suiteSource(), { env: freshEnv() }),
      ),
    ).toEqual({ code, message });
  });

  it("lets a manifest reach a file elsewhere in the repository", async () => {
    writeFiles(root, { "shared-weights/tiny.gguf": weights });
    const resolved = await resolveArtifact(
      { path: "../../shared-weights/tiny.gguf", sha256: weightsSha },
      source(),
      { env: freshEnv() },
    );
    expect(resolved.path).toBe(join(root, "shared-weights", "tiny.gguf"));
  });
});

/** resolveArtifact with warnings collected. */
async function withWarnings(ref: ArtifactRef, options: ResolveOptions) {
  const warnings: string[] = [];
  const outcome = await rejection(
    resolveArtifact(ref, source(), { ...options, onWarning: (m) => warnings.push(m) }),
  ).catch(() => undefined);
  return { outcome, warnings: warnings.map((w) => w.replaceAll(root, "<tmp>")) };
}

describe("BENCH_MIRROR walk limits", () => {
  const ref = (): ArtifactRef => ({ url: `${base}/files/tiny.gguf`, sha256: weightsSha });
  const missing = (mirror: string) => ({
    code: "E_ARTIFACT_MISSING",
    message: `<tmp>/models/acme/tiny.yaml: $.weights: no file named tiny.gguf or ${weightsSha} with that sha256 in BENCH_MIRROR=<tmp>/${mirror}`,
  });

  it("walks a folder that links back to itself once", async () => {
    const mirror = join(root, "mirror-loop");
    writeFiles(mirror, { "sub/unrelated.bin": "x" });
    symlinkSync(mirror, join(mirror, "loop"));
    symlinkSync(mirror, join(mirror, "sub", "back"));
    expect(
      await withWarnings(ref(), {
        env: freshEnv({ BENCH_MIRROR: mirror, BENCH_OFFLINE: "1" }),
        mirrorLimits: { maxDepth: 16, maxEntries: 1000 },
      }),
    ).toEqual({ outcome: missing("mirror-loop"), warnings: [] });
  });

  it("reads a folder reached by two links (a diamond) once", async () => {
    const store = join(root, "diamond-store");
    writeFiles(store, Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.bin`, "x"])));
    const mirror = join(root, "mirror-diamond");
    mkdirSync(join(mirror, "a"), { recursive: true });
    mkdirSync(join(mirror, "b"), { recursive: true });
    symlinkSync(store, join(mirror, "a", "s"));
    symlinkSync(store, join(mirror, "b", "s"));
    // Once: a, b, a/s, b/s and 30 files = 34 entries; twice would be 64.
    expect(
      await withWarnings(ref(), {
        env: freshEnv({ BENCH_MIRROR: mirror, BENCH_OFFLINE: "1" }),
        mirrorLimits: { maxDepth: 16, maxEntries: 40 },
      }),
    ).toEqual({ outcome: missing("mirror-diamond"), warnings: [] });
  });

  it("stops with E_MIRROR after the entry limit, naming it", async () => {
    const mirror = join(root, "mirror-wide");
    writeFiles(
      mirror,
      Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}.bin`, "x"])),
    );
    expect(
      await withWarnings(ref(), {
        env: freshEnv({ BENCH_MIRROR: mirror }),
        mirrorLimits: { maxDepth: 16, maxEntries: 10 },
      }),
    ).toEqual({
      outcome: {
        code: "E_MIRROR",
        message:
          "BENCH_MIRROR=<tmp>/mirror-wide: examined 10 entries without finding the file (the limit on entries examined)",
      },
      warnings: [],
    });
  });

  it("does not look below the depth limit, and says so", async () => {
    const mirror = join(root, "mirror-deep");
    writeFiles(mirror, { "1/2/3/4/tiny.gguf": weights });
    expect(
      await withWarnings(ref(), {
        env: freshEnv({ BENCH_MIRROR: mirror, BENCH_OFFLINE: "1" }),
        mirrorLimits: { maxDepth: 3, maxEntries: 1000 },
      }),
    ).toEqual({
      outcome: missing("mirror-deep"),
      warnings: [
        "BENCH_MIRROR=<tmp>/mirror-deep: did not look into 1 folder more than 3 levels deep (the depth limit)",
      ],
    });
    const found = await resolveArtifact(ref(), source(), {
      env: freshEnv({ BENCH_MIRROR: mirror, BENCH_OFFLINE: "1" }),
      mirrorLimits: { maxDepth: 4, maxEntries: 1000 },
    });
    expect(found.path).toBe(join(mirror, "1/2/3/4/tiny.gguf"));
  });

  it("hashes only regular files: a folder named like the artifact is walked, not read", async () => {
    const mirror = join(root, "mirror-folder-named");
    writeFiles(mirror, { "tiny.gguf/inner/tiny.gguf": weights });
    const found = await resolveArtifact(ref(), source(), {
      env: freshEnv({ BENCH_MIRROR: mirror, BENCH_OFFLINE: "1" }),
    });
    expect(found.path).toBe(join(mirror, "tiny.gguf/inner/tiny.gguf"));
  });

  // As root, permissions do not stop readdir, so there is nothing to skip.
  it.skipIf(process.getuid?.() === 0)("skips an unreadable folder with a warning", async () => {
    const mirror = join(root, "mirror-locked");
    writeFiles(mirror, { "locked/x.bin": "x", "open/tiny.gguf": weights });
    chmodSync(join(mirror, "locked"), 0o000);
    try {
      const warnings: string[] = [];
      const found = await resolveArtifact(ref(), source(), {
        env: freshEnv({ BENCH_MIRROR: mirror, BENCH_OFFLINE: "1" }),
        onWarning: (m) => warnings.push(m.replaceAll(root, "<tmp>")),
      });
      expect(found.origin).toBe("mirror");
      expect(warnings).toEqual([
        "BENCH_MIRROR=<tmp>/mirror-locked: skipped <tmp>/mirror-locked/locked: cannot read it (EACCES)",
      ]);
    } finally {
      chmodSync(join(mirror, "locked"), 0o755);
    }
  });

  it("has documented defaults", () => {
    expect(mirrorLimits).toEqual({ maxDepth: 16, maxEntries: 100_000 });
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

describe("cache entries of the wrong type", () => {
  it.each([
    ["a folder", (path: string) => mkdirSync(join(path, "inner"), { recursive: true }), "a folder"],
    [
      "a symbolic link",
      (path: string) => {
        writeFiles(root, { "link-target.bin": weights });
        symlinkSync(join(root, "link-target.bin"), path);
      },
      "a symbolic link",
    ],
  ])("removes %s with a warning and downloads", async (_, make, kind) => {
    const env = freshEnv();
    const cached = join(
      env.BENCH_CACHE as string,
      "sha256",
      weightsSha.slice(0, 2),
      weightsSha,
      "tiny.gguf",
    );
    mkdirSync(join(cached, ".."), { recursive: true });
    make(cached);
    const warnings: string[] = [];
    const resolved = await resolveArtifact(
      { url: `${base}/files/typed/tiny.gguf`, sha256: weightsSha },
      source(),
      { env, onWarning: (m) => warnings.push(m.replaceAll(root, "<tmp>")) },
    );
    expect(resolved).toEqual({ path: cached, sha256: weightsSha, origin: "download" });
    expect(readFileSync(cached, "utf8")).toBe(weights);
    expect(warnings).toEqual([
      `cache: removed ${cached.replaceAll(root, "<tmp>")}: it was ${kind}, where a downloaded file belongs`,
    ]);
  });

  it.each<[{ fileName?: string; url?: string }, string, string]>([
    [{ fileName: "../../escape.gguf" }, "$.weights.fileName", '"../../escape.gguf"'],
    [{ fileName: ".." }, "$.weights.fileName", '".."'],
    [{ url: "/files/%2E%2E" }, "$.weights.url", '""'],
    [{ url: "/files/a%2Fb" }, "$.weights.url", '"a/b"'],
  ])("rejects the cache file name in %o", async (extra, field, shown) => {
    const ref: ArtifactRef = {
      url: `${base}${extra.url ?? "/files/tiny.gguf"}`,
      sha256: weightsSha,
      ...(extra.fileName ? { fileName: extra.fileName } : {}),
    };
    expect(await rejection(resolveArtifact(ref, source(), { env: freshEnv() }))).toEqual({
      code: "E_PATH_ESCAPE",
      message: `<tmp>/models/acme/tiny.yaml: ${field}: the file name ${shown} is not one plain path segment`,
    });
  });
});
