import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasShared, repoRoot, sharedDir, sharedMissing, tempDir } from "../../test/helpers.ts";

const node = join(repoRoot, "node_modules/.bin/node");
const bench = join(repoRoot, "evaluator/bin/bench.js");
const limit = 120;
// Default settings: no --threads, --parallel or --gpu flags.
const args = [
  "eval",
  "models/karpathy/stories260K.yaml",
  "--suite",
  "arc-easy",
  "--limit",
  String(limit),
  "--json",
];

function start(home: string, out: string): ChildProcess {
  return spawn(node, [bench, ...args, "--out", out], {
    cwd: repoRoot,
    env: { ...process.env, BENCH_HOME: home, BENCH_MIRROR: sharedDir, BENCH_OFFLINE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function finished(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c) => {
    stdout += c;
  });
  child.stderr?.on("data", (c) => {
    stderr += c;
  });
  return new Promise((done) =>
    child.on("close", (code, signal) => done({ code, signal, stdout, stderr })),
  );
}

/** Items journaled so far (the first line is the header). */
function journaled(home: string): number {
  const dir = join(home, "journals");
  const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith(".jsonl")) : undefined;
  if (!file) return 0;
  return Math.max(0, readFileSync(join(dir, file), "utf8").split("\n").length - 2);
}

/** Starts a run and SIGKILLs it once at least `after` items are journaled. */
async function killAfter(home: string, out: string, after: number): Promise<number> {
  const child = start(home, out);
  const done = finished(child);
  const timer = setInterval(() => {
    if (journaled(home) >= after) child.kill("SIGKILL");
  }, 5);
  const result = await done;
  clearInterval(timer);
  expect(result.signal).toBe("SIGKILL");
  return journaled(home);
}

const samplesDigest = (stdout: string) => {
  const summary = JSON.parse(stdout) as { samplesPath: string };
  return { path: summary.samplesPath, text: readFileSync(summary.samplesPath, "utf8") };
};

describe.skipIf(!hasShared)(
  `SIGKILL and resume${hasShared ? "" : ` (skipped: ${sharedMissing})`}`,
  () => {
    let root: { dir: string; cleanup: () => void };
    beforeAll(() => {
      root = tempDir("bench-kill-");
    });
    afterAll(() => root.cleanup());

    it("killed at three points and resumed, writes the same samples as an uninterrupted run", async () => {
      const whole = await finished(start(join(root.dir, "home-a"), join(root.dir, "out-a")));
      expect(whole.code).toBe(0);

      const home = join(root.dir, "home-b");
      const out = join(root.dir, "out-b");
      const points: number[] = [];
      for (const after of [1, limit / 3, (2 * limit) / 3]) {
        const now = await killAfter(home, out, after);
        expect(now).toBeGreaterThanOrEqual(after);
        expect(now).toBeLessThan(limit);
        points.push(now);
      }
      expect(new Set(points).size).toBe(3);
      const resumed = await finished(start(home, out));
      expect(resumed.code).toBe(0);
      // the killed runs left their lock behind: the resume takes it over and says so
      expect(resumed.stderr).toContain("taking over the lock of a bench process that is gone");

      const a = samplesDigest(whole.stdout);
      const b = samplesDigest(resumed.stdout);
      expect(b.text.split("\n").length).toBe(limit + 1);
      expect(b.text).toBe(a.text);
      const docA = JSON.parse(readFileSync(a.path.replace(".samples.jsonl", ".json"), "utf8"));
      const docB = JSON.parse(readFileSync(b.path.replace(".samples.jsonl", ".json"), "utf8"));
      expect(docB.samples.sha256).toBe(docA.samples.sha256);
      expect(docB.scores).toEqual(docA.scores);
      expect([docA.run.resumed, docB.run.resumed]).toEqual([false, true]);
      expect(existsSync(join(home, "journals"))).toBe(true);
      expect(readdirSync(join(home, "journals"))).toEqual([]);
    }, 120_000);
  },
);
