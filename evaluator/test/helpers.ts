import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
/** The shared folder beside the repository: tiny real models and datasets. */
export const sharedDir = join(repoRoot, "..", "shared");
export const stories260K = join(sharedDir, "models", "stories260K.gguf");
export const hasShared = existsSync(stories260K);
export const sharedMissing = `../shared/models/stories260K.gguf is not beside the repository (${sharedDir})`;

/** A temporary folder removed by the returned cleanup. */
export function tempDir(prefix = "bench-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** Collects what a CLI call writes. */
export function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  const stream = (sink: string[]) =>
    ({
      write: (chunk: string) => sink.push(chunk) > 0,
      isTTY: false,
    }) as unknown as NodeJS.WriteStream;
  return {
    io: { stdout: stream(out), stderr: stream(err) },
    stdout: () => out.join(""),
    stderr: () => err.join(""),
  };
}

/** A gguf load request as the runner builds it: one weights file, the context, the CPU or a GPU. */
export function ggufRequest(
  weights: string,
  contextSize: number,
  gpu: false | "auto" = false,
  extra: { addBos?: boolean; parallel?: number } = {},
) {
  return {
    artifacts: { weights },
    options: {
      type: "gguf" as const,
      contextSize,
      ...(extra.addBos === undefined ? {} : { addBos: extra.addBos }),
    },
    runtime: {
      threads: 1,
      gpu,
      ...(extra.parallel === undefined ? {} : { parallel: extra.parallel }),
    },
  };
}
