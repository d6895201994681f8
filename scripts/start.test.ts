import { spawn } from "node:child_process";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, tempDir } from "../evaluator/test/helpers.ts";

const bin = join(repoRoot, "node_modules", ".bin");

describe("npm start", () => {
  let tmp: { dir: string; cleanup: () => void };
  beforeAll(() => {
    tmp = tempDir("bench-start-");
  });
  afterAll(() => tmp.cleanup());

  it("evaluates the default model, builds the site and serves a page that lists it", async () => {
    const child = spawn(join(bin, "node"), ["scripts/start.ts", "--port", "0"], {
      cwd: repoRoot,
      env: {
        ...process.env,
        PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`,
        BENCH_HOME: join(tmp.dir, "home"),
        BENCH_RESULTS_DIR: join(tmp.dir, "results"),
        BENCH_SITE_OUT: join(tmp.dir, "dist"),
        BENCH_SITE_CACHE: join(tmp.dir, "cache"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const url = await new Promise<string>((done, fail) => {
      const onData = (chunk: Buffer) => {
        output += chunk;
        const match = /Leaderboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
        if (match) done(match[1] as string);
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("exit", (code) => fail(new Error(`npm start exited with ${code}:\n${output}`)));
    });
    try {
      const page = await (await fetch(url)).text();
      expect(page).toContain("tiny-random-llama (pipeline check)");
      expect(page).toMatch(/\d+\.\d% ± \d+\.\d/);
      const model = await fetch(`${url}models/bench/tiny-random-llama/`);
      expect(model.status).toBe(200);
    } finally {
      const exited = new Promise((done) => child.once("exit", done));
      child.kill("SIGTERM");
      await exited;
    }
    await expect(fetch(url)).rejects.toThrow();
  }, 120_000);
});
