import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSigningKey, resultDocument, writeSignedResult, writeTrustList } from "./fixtures.ts";

const siteDir = resolve(import.meta.dirname, "..");
const binDir = resolve(siteDir, "../node_modules/.bin");

/** Runs `astro build` as a child process, as CI does; returns its exit code and all its output. */
function astroBuild(resultsDir: string, outDir: string): Promise<{ code: number; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(join(binDir, "astro"), ["build"], {
      cwd: siteDir,
      env: {
        ...process.env,
        // The astro script runs `env node`: the pinned Node from node_modules/.bin, as under npm.
        PATH: `${binDir}${delimiter}${process.env.PATH ?? ""}`,
        ASTRO_TELEMETRY_DISABLED: "1",
        BENCH_RESULTS_DIR: resultsDir,
        BENCH_SITE_OUT: outDir,
        BENCH_SITE_CACHE: `${outDir}-cache`,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? 1, output }));
  });
}

describe("astro build", () => {
  let root: string;
  let resultsDir: string;
  let evaluatedFile: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "bench-site-"));
    resultsDir = join(root, "results");
    const localKey = createSigningKey("local");
    const ciKey = createSigningKey("ci");
    writeTrustList(resultsDir, ciKey, "bench CI");
    evaluatedFile = writeSignedResult(resultsDir, resultDocument(), localKey);
    writeSignedResult(
      resultsDir,
      resultDocument({
        modelId: "test-org/pipeline-model",
        modelName: "Pipeline Check Model",
        purpose: "pipeline-check",
      }),
      ciKey,
    );
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it("builds the leaderboard, the model pages and the API from verified results", async () => {
    const outDir = join(root, "out");
    const { code, output } = await astroBuild(resultsDir, outDir);
    expect(code, output).toBe(0);

    const index = readFileSync(join(outDir, "index.html"), "utf8");
    expect(index).toContain('<html lang="en"');
    expect(index).toContain("Tiny Test Model");
    expect(index).toContain("62.5% ± 7.8");
    expect(index).toContain("untrusted local key");
    expect(index).toContain("trusted: bench CI");
    expect(index).toContain("pipeline check — scores mean nothing");
    expect(index).toContain('href="/models/test-org/tiny-model/"');

    const modelPage = readFileSync(join(outDir, "models/test-org/tiny-model/index.html"), "utf8");
    expect(modelPage).toContain("results/test-org/tiny-model/arc-easy/run-1.json");
    expect(modelPage).toContain("no GPU was used");

    const api = JSON.parse(readFileSync(join(outDir, "api/results.json"), "utf8"));
    expect(api.models.map((model: { id: string }) => model.id)).toEqual([
      "test-org/tiny-model",
      "test-org/pipeline-model",
    ]);
  }, 120_000);

  it("fails and names the file when a result was changed after signing", async () => {
    const text = readFileSync(evaluatedFile, "utf8");
    expect(text).toContain('"value": 0.625');
    writeFileSync(evaluatedFile, text.replace('"value": 0.625', '"value": 0.925'));

    const outDir = join(root, "out-tampered");
    const { code, output } = await astroBuild(resultsDir, outDir);
    expect(code).not.toBe(0);
    expect(output).toContain("result verification failed:");
    expect(output).toContain(`${evaluatedFile}: $.signature.value: does not match the document`);
    expect(existsSync(join(outDir, "index.html"))).toBe(false);
  }, 120_000);
});
