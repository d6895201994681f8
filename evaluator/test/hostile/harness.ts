import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { repoRoot } from "../helpers.ts";

/** The pinned Node when the repository has it, else the one running the tests. */
const nodeBin = existsSync(join(repoRoot, "node_modules", ".bin", "node"))
  ? join(repoRoot, "node_modules", ".bin", "node")
  : process.execPath;
const benchJs = join(repoRoot, "evaluator", "bin", "bench.js");

/** Bounds every CLI run must stay within, hostile input or not. */
export const bounds = {
  /** Wall-clock limit of one run; the process group is killed past it. */
  millis: 20_000,
  /** V8 heap of the child, in MiB: a parser that copies without bound dies instead of swapping. */
  heapMiB: 256,
  /** stdout and stderr together, in bytes: a message never dumps the hostile input. */
  outputBytes: 20_000,
} as const;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  millis: number;
  timedOut: boolean;
  /** Bytes written before the output was cut off (the whole output when under the cap). */
  outputBytes: number;
}

/** At most this many `bench` processes at once, whatever vitest schedules. */
const slots = Math.max(3, Math.min(4, availableParallelism() + 1));
let running = 0;
const waiting: (() => void)[] = [];

async function withSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  try {
    return await work();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/**
 * Runs the real `bench` executable in `cwd` with only `env` (plus PATH), bounded in time, heap
 * and captured output. The child leads its own process group, so a timeout kills any helper
 * processes too.
 */
export function runBench(
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; millis?: number },
): Promise<RunResult> {
  const limit = options.millis ?? bounds.millis;
  return withSlot(
    () =>
      new Promise<RunResult>((resolve, reject) => {
        const started = performance.now();
        const child = spawn(nodeBin, [`--max-old-space-size=${bounds.heapMiB}`, benchJs, ...args], {
          cwd: options.cwd,
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env },
          detached: true,
          stdio: ["ignore", "pipe", "pipe"],
        });
        const cap = bounds.outputBytes * 4;
        let total = 0;
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const collect = (sink: Buffer[]) => (chunk: Buffer) => {
          total += chunk.length;
          const room = cap - sink.reduce((n, b) => n + b.length, 0);
          if (room > 0) sink.push(chunk.subarray(0, room));
        };
        child.stdout?.on("data", collect(out));
        child.stderr?.on("data", collect(err));
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          killGroup(child);
        }, limit);
        child.on("error", (error) => {
          clearTimeout(timer);
          reject(error);
        });
        child.on("close", (code, signal) => {
          clearTimeout(timer);
          killGroup(child);
          resolve({
            code,
            signal,
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(err).toString("utf8"),
            millis: performance.now() - started,
            timedOut,
            outputBytes: total,
          });
        });
      }),
  );
}

// Control characters other than tab and newline, format characters (bidi controls, zero-width),
// line and paragraph separators, and the replacement character (undecodable input echoed back).
const hostileCharacter = /(?![\n\t])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\ufffd]/u;

/** Signs of an uncaught exception, or of V8 dying, in CLI output. */
const crashSigns: [RegExp, string][] = [
  [/\n\s+at .+[:(]/, "a stack frame (`    at …`)"],
  [/node:internal/, "node:internal"],
  [
    /\b(TypeError|RangeError|ReferenceError|SyntaxError|EvalError|AggregateError)\b/,
    "a JavaScript error name",
  ],
  [/E_INTERNAL|internal error/, "an internal error (a bug, not a reported problem)"],
  [/heap out of memory|FATAL ERROR|Allocation failed/, "V8 running out of heap"],
  [/Maximum call stack/, "a stack overflow"],
];

/** Every way a run broke the bounds or the error contract, in words; empty when it kept them. */
export function contractBreaches(result: RunResult): string[] {
  const text = result.stdout + result.stderr;
  const breaches: string[] = [];
  if (result.timedOut) breaches.push(`ran past ${bounds.millis} ms and was killed`);
  if (result.signal !== null) breaches.push(`ended by ${result.signal}`);
  if (result.outputBytes > bounds.outputBytes)
    breaches.push(`wrote ${result.outputBytes} bytes (over ${bounds.outputBytes})`);
  for (const [pattern, what] of crashSigns) if (pattern.test(text)) breaches.push(`shows ${what}`);
  const raw = hostileCharacter.exec(text);
  if (raw)
    breaches.push(
      `echoes U+${(raw[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")} raw at ${raw.index}`,
    );
  return breaches;
}

/** The output, cut for an assertion message. */
export function excerpt(result: RunResult, max = 3000): string {
  const text = `exit ${result.code}${result.signal ? ` (${result.signal})` : ""} after ${Math.round(result.millis)} ms\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export function write(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** A fresh folder under `parent`. */
export function freshDir(parent: string, prefix: string): string {
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(join(parent, prefix));
}

/** Copies a folder tree (links kept as links). */
export function copyTree(from: string, to: string): void {
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

export function readText(path: string): string {
  return readFileSync(path, "utf8");
}

/** A temporary root for the whole table, outside the repository. */
export function tableRoot(): string {
  return mkdtempSync(join(tmpdir(), "bench-hostile-"));
}
