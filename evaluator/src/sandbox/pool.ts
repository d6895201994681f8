/**
 * A pool of sandbox workers that run untrusted Python (model-written code and its tests).
 *
 * Pyodide alone is no boundary (../shared/docs/STACK.md: its JS bridges reach `process`, and a
 * Python socket reached a loopback listener). Each worker is therefore a child process of Node 26
 * under the permission model: it may read the Pyodide package and its own script and nothing else,
 * and may not write, spawn processes, open sockets, load addons or start workers; its environment
 * is empty. Inside, the JS bridges are removed before any program runs (worker.mjs). The parent
 * enforces a wall-clock limit per program and a memory cap (the worker's resident set, read from
 * /proc, which also bounds the Wasm heap), killing the worker and starting a fresh one; a crashed
 * worker is replaced the same way. Every program ends in one of five statuses, never in an
 * exception of the evaluator.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BenchError } from "../errors/index.ts";

export type SandboxStatus = "passed" | "failed" | "error" | "timeout" | "memory";

export interface SandboxResult {
  status: SandboxStatus;
  /** The Python exception's type for failed and error (AssertionError, NameError, …). */
  exception?: string;
  /** Its message, cut to 500 characters. */
  message?: string;
  /** Wall time of the program, in milliseconds (not stored in samples). */
  ms: number;
}

export interface SandboxOptions {
  /** Workers running at once (default 1). */
  size?: number;
  /** Wall-clock limit of one program (default 10 s). */
  timeoutMs?: number;
  /** Resident-memory cap of a worker (default 1 GiB). */
  memoryBytes?: number;
  /** Limit on a worker's start, Pyodide's load included (default 120 s). */
  startTimeoutMs?: number;
}

const workerFile = join(dirname(fileURLToPath(import.meta.url)), "worker.mjs");

function pyodideDir(): string {
  try {
    return `${dirname(fileURLToPath(import.meta.resolve("pyodide/pyodide.mjs")))}/`;
  } catch (cause) {
    throw new BenchError("E_BACKEND_LOAD", "sandbox: the pyodide package is not installed", {
      hint: "reinstall dependencies (npm install)",
      cause,
    });
  }
}

/** Resident set size of a process, from /proc (Linux); undefined where it cannot be read. */
function residentBytes(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

interface Job {
  program: string;
  timeoutMs: number;
  resolve: (result: SandboxResult) => void;
}

/** Longest line a worker may answer with; a longer one ends the worker. */
const maxLine = 64 * 1024;

class Worker {
  readonly #child: ChildProcess;
  #buffer = "";
  #onLine: ((line: string) => void) | undefined;
  #onExit: (() => void) | undefined;
  exited = false;
  loadMs = 0;

  constructor(dir: string, heapMb: number) {
    this.#child = spawn(
      process.execPath,
      [
        "--permission",
        `--allow-fs-read=${dir}`,
        `--allow-fs-read=${workerFile}`,
        `--max-old-space-size=${heapMb}`,
        "--disable-warning=ExperimentalWarning",
        workerFile,
        JSON.stringify({ indexURL: dir }),
      ],
      { stdio: ["pipe", "pipe", "ignore"], env: {} },
    );
    this.#child.stdout?.setEncoding("utf8");
    this.#child.stdout?.on("data", (chunk: string) => {
      this.#buffer += chunk;
      let at = this.#buffer.indexOf("\n");
      while (at >= 0) {
        const line = this.#buffer.slice(0, at);
        this.#buffer = this.#buffer.slice(at + 1);
        this.#onLine?.(line);
        at = this.#buffer.indexOf("\n");
      }
      if (this.#buffer.length > maxLine) this.kill();
    });
    this.#child.on("exit", () => {
      this.exited = true;
      this.#onExit?.();
    });
    this.#child.stdin?.on("error", () => {});
    // Idle workers do not keep the evaluator alive; they end when its pipes close.
    this.#child.unref();
    (this.#child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    (this.#child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The next line the worker writes, or undefined when it exits (or `ms` pass) first. */
  next(ms: number, onTick?: () => boolean): Promise<string | undefined | "tick-stop"> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let ticker: NodeJS.Timeout | undefined;
      const done = (value: string | undefined | "tick-stop") => {
        clearTimeout(timer);
        clearInterval(ticker);
        this.#onLine = undefined;
        this.#onExit = undefined;
        resolve(value);
      };
      if (this.exited) return done(undefined);
      this.#onLine = (line) => done(line);
      this.#onExit = () => done(undefined);
      timer = setTimeout(() => done(undefined), ms);
      if (onTick) ticker = setInterval(() => onTick() && done("tick-stop"), 50);
    });
  }

  send(line: string): void {
    this.#child.stdin?.write(`${line}\n`);
  }

  kill(): void {
    if (!this.exited) this.#child.kill("SIGKILL");
  }
}

/** Runs Python programs in sandboxed workers, `size` at a time. */
export class SandboxPool {
  readonly #dir: string;
  readonly #size: number;
  readonly #timeoutMs: number;
  readonly #memoryBytes: number;
  readonly #startTimeoutMs: number;
  readonly #idle: Worker[] = [];
  readonly #queue: Job[] = [];
  #running = 0;
  #closed = false;
  #nextId = 0;
  /** Workers started, for the benchmark and the tests. */
  started = 0;
  /** Pyodide load times of the workers started, in milliseconds. */
  readonly loadTimes: number[] = [];

  constructor(options: SandboxOptions = {}) {
    this.#dir = pyodideDir();
    this.#size = options.size ?? 1;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#memoryBytes = options.memoryBytes ?? 1 << 30;
    this.#startTimeoutMs = options.startTimeoutMs ?? 120_000;
  }

  /** Runs one program (within `timeoutMs`, default the pool's); always resolves, with its status. */
  run(program: string, timeoutMs = this.#timeoutMs): Promise<SandboxResult> {
    if (this.#closed) return Promise.reject(new Error("sandbox pool is closed"));
    return new Promise((resolve) => {
      this.#queue.push({ program, timeoutMs, resolve });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#running < this.#size && this.#queue.length > 0) {
      const job = this.#queue.shift() as Job;
      this.#running++;
      void this.#execute(job).finally(() => {
        this.#running--;
        this.#pump();
      });
    }
  }

  async #worker(): Promise<Worker | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const ready = this.#idle.pop();
      if (ready && !ready.exited) return ready;
      // The V8 heap limit is set below the cap; the cap itself is enforced from /proc.
      const fresh = new Worker(this.#dir, Math.max(64, Math.floor(this.#memoryBytes / 2 ** 21)));
      this.started++;
      const line = await fresh.next(this.#startTimeoutMs);
      try {
        const hello = JSON.parse(line ?? "null") as { ready?: boolean; loadMs?: number } | null;
        if (hello?.ready) {
          this.loadTimes.push(hello.loadMs ?? 0);
          return fresh;
        }
      } catch {
        // not ready: try again
      }
      fresh.kill();
    }
    return undefined;
  }

  async #execute(job: Job): Promise<void> {
    const start = performance.now();
    const worker = await this.#worker();
    if (!worker) {
      job.resolve({
        status: "error",
        exception: "SandboxUnavailable",
        message: "no sandbox worker could start (Pyodide did not load)",
        ms: performance.now() - start,
      });
      return;
    }
    const id = this.#nextId++;
    const began = performance.now();
    worker.send(JSON.stringify({ id, program: job.program }));
    let overMemory = false;
    let fatal = false;
    const line = await worker.next(job.timeoutMs, () => {
      const rss = worker.pid === undefined ? undefined : residentBytes(worker.pid);
      overMemory = rss !== undefined && rss > this.#memoryBytes;
      return overMemory;
    });
    const ms = performance.now() - began;
    let result: SandboxResult | undefined;
    if (typeof line === "string" && line !== "tick-stop") {
      try {
        const answer = JSON.parse(line) as Partial<SandboxResult> & {
          id?: number;
          fatal?: boolean;
        };
        if (answer.fatal === true) fatal = true;
        if (answer.id === id && ["passed", "failed", "error"].includes(String(answer.status))) {
          result = {
            status: answer.status as SandboxStatus,
            ...(typeof answer.exception === "string"
              ? { exception: answer.exception.slice(0, 100) }
              : {}),
            ...(typeof answer.message === "string"
              ? { message: answer.message.slice(0, 500) }
              : {}),
            ms,
          };
        }
      } catch {
        // an unreadable answer: the worker is not trusted again
      }
    }
    if (result) {
      if (this.#closed || fatal) worker.kill();
      else this.#idle.push(worker);
    } else {
      worker.kill();
      result = overMemory
        ? { status: "memory", message: `over the ${this.#memoryBytes} byte memory cap`, ms }
        : line === undefined && !worker.exited
          ? { status: "timeout", message: `over the ${job.timeoutMs} ms limit`, ms }
          : {
              status: "error",
              exception: "SandboxCrash",
              message: "the sandbox worker ended without an answer",
              ms,
            };
    }
    job.resolve(result);
  }

  /** Ends every worker; pending programs are not run. */
  close(): void {
    this.#closed = true;
    for (const worker of this.#idle.splice(0)) worker.kill();
    for (const job of this.#queue.splice(0)) {
      job.resolve({ status: "error", exception: "SandboxClosed", message: "pool closed", ms: 0 });
    }
  }
}
