import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, tempDir } from "../evaluator/test/helpers.ts";

const bin = join(repoRoot, "node_modules", ".bin");
const chromiumPath = "/usr/bin/chromium";
const hasChromium = existsSync(chromiumPath);

describe("npm start", () => {
  let tmp: { dir: string; cleanup: () => void };
  let child: ChildProcess;
  let url: string;
  let output = "";

  beforeAll(async () => {
    tmp = tempDir("bench-start-");
    child = spawn(join(bin, "node"), ["scripts/start.ts", "--port", "0"], {
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
    url = await new Promise<string>((done, fail) => {
      const onData = (chunk: Buffer) => {
        output += chunk;
        const match = /Leaderboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
        if (match) done(match[1] as string);
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.on("exit", (code) => fail(new Error(`npm start exited with ${code}:\n${output}`)));
    });
  }, 120_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill("SIGTERM");
    tmp.cleanup();
  });

  it("evaluates the default model, builds the site and serves a page that lists it", async () => {
    expect(output).toContain("Evaluating the built-in default model");
    const page = await (await fetch(url)).text();
    expect(page).toContain("tiny-random-llama (pipeline check)");
    expect(page).toMatch(/\d+\.\d% ± \d+\.\d/);
    expect((await fetch(`${url}models/bench/tiny-random-llama/`)).status).toBe(200);
  });

  it.skipIf(!hasChromium)(
    `shows the leaderboard in a real browser and links to the model page${hasChromium ? "" : ` (skipped: no ${chromiumPath}; apt-get install chromium)`}`,
    async () => {
      const browser = await chromium.launch({
        executablePath: chromiumPath,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on("pageerror", (error) => errors.push(error.message));
        await page.goto(url);
        expect(await page.title()).toBe("Open-weight model leaderboard");
        const row = page.getByRole("row", { name: /tiny-random-llama/ });
        await expect(row.textContent()).resolves.toMatch(
          /pipeline check.*\d+\.\d% ± \d+\.\d.*48.*untrusted local key/s,
        );
        await page.getByRole("link", { name: "tiny-random-llama (pipeline check)" }).click();
        await page.waitForURL(/\/models\/bench\/tiny-random-llama\/$/);
        expect(await page.getByRole("heading", { level: 1 }).textContent()).toContain(
          "tiny-random-llama (pipeline check)",
        );
        await expect(page.getByRole("table").first().textContent()).resolves.toContain("acc_norm");
        const screenshot = await page.screenshot({ fullPage: true });
        expect(screenshot.length).toBeGreaterThan(10_000);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );

  it("stops the server when npm start is stopped", async () => {
    const exited = new Promise((done) => child.once("exit", done));
    child.kill("SIGTERM");
    await exited;
    await expect(fetch(url)).rejects.toThrow();
  });
});
