import {
  closeSync,
  existsSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { displayPath } from "../config/yaml.ts";
import { BenchError } from "../errors/index.ts";
import { printable } from "../pure/text.ts";
import { canonicalize, sha256Hex } from "../result/canonical.ts";
import type { SampleRecord } from "./sample.ts";

const format = "bench.journal/1";

/** Checks one journaled sample against the plan; returns the problem, or undefined when it is sound. */
export type SampleCheck = (sample: unknown) => string | undefined;

export interface JournalOptions {
  /** Binds every line to the run: a line from another run never passes. */
  runKey: string;
  check: SampleCheck;
  onWarning?: (message: string) => void;
}

/** `sha256(runKey, canonical sample)`: what binds a journal line to its run. */
export function lineDigest(runKey: string, sample: unknown): string {
  return sha256Hex(`${runKey}\n${canonicalize(sample)}`);
}

/**
 * An append-only record of finished items, so an interrupted run resumes where it stopped.
 * The first line names the run key; every other line holds one sample and a digest binding it
 * to that key. Every line is checked before it is trusted: a torn last line (a crash mid-write)
 * is dropped with a warning, any other bad line fails the run naming the journal. A lock file
 * keeps two processes from sharing one journal.
 */
export class Journal {
  readonly path: string;
  readonly lockPath: string;
  readonly done = new Map<string, SampleRecord>();
  readonly #runKey: string;
  #fd: number | undefined;

  private constructor(path: string, runKey: string) {
    this.path = path;
    this.lockPath = `${path}.lock`;
    this.#runKey = runKey;
  }

  /** Takes the run's lock, then reads and checks what earlier attempts journaled. */
  static open(path: string, options: JournalOptions): Journal {
    const journal = new Journal(path, options.runKey);
    const warn = options.onWarning ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (cause) {
      throw new BenchError(
        "E_JOURNAL",
        `${displayPath(dirname(path))}: cannot hold run journals (${(cause as NodeJS.ErrnoException).code ?? "unknown error"})`,
        { hint: "remove what is in the way, or point BENCH_HOME at another folder", cause },
      );
    }
    journal.#notAFile(path, "journal");
    journal.#notAFile(journal.lockPath, "lock file");
    journal.#lock(warn);
    try {
      journal.#read(options.check, warn);
      journal.#fd = openSync(path, "a");
      if (journal.done.size === 0 && readFileSync(path, "utf8") === "") {
        writeSync(journal.#fd, `${JSON.stringify({ format, runKey: options.runKey })}\n`);
      }
    } catch (error) {
      journal.#unlock();
      throw error;
    }
    return journal;
  }

  static key(task: string, index: number): string {
    return `${task}#${index}`;
  }

  has(task: string, index: number): boolean {
    return this.done.has(Journal.key(task, index));
  }

  append(sample: SampleRecord): void {
    if (this.#fd === undefined) throw new Error(`journal ${this.path} is closed`);
    const line = JSON.stringify({ digest: lineDigest(this.#runKey, sample), sample });
    writeSync(this.#fd, `${line}\n`);
    this.done.set(Journal.key(sample.task, sample.index), sample);
  }

  /** Releases the lock; the journal stays for a later resume. */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    this.#unlock();
  }

  /** Deletes the journal (the run is written) and releases the lock. */
  remove(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    rmSync(this.path, { force: true });
    this.#unlock();
  }

  #corrupt(line: number, problem: string): BenchError {
    return new BenchError(
      "E_JOURNAL",
      `${displayPath(this.path)}:${line}: ${printable(problem, 200)}; the journal cannot be trusted`,
      {
        hint: `delete ${displayPath(this.path)} to discard the interrupted run's items and start over`,
      },
    );
  }

  /** A folder, pipe or link where the journal or its lock belongs cannot be read or replaced safely. */
  #notAFile(path: string, what: string): void {
    const stats = lstatSync(path, { throwIfNoEntry: false });
    if (stats === undefined || stats.isFile()) return;
    const kind = stats.isDirectory()
      ? "a folder"
      : stats.isSymbolicLink()
        ? "a symbolic link"
        : "not a regular file";
    throw new BenchError("E_JOURNAL", `${displayPath(path)}: is ${kind}, not a ${what}`, {
      hint: `delete ${displayPath(path)}; an interrupted run's items are then evaluated again`,
    });
  }

  #read(check: SampleCheck, warn: (message: string) => void): void {
    if (!existsSync(this.path)) return;
    const text = readFileSync(this.path, "utf8");
    if (text === "") return;
    const lines = text.split("\n");
    const torn = !text.endsWith("\n");
    for (const [i, line] of lines.entries()) {
      const last = i === lines.length - 1;
      if (last && line === "") break;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        if (last && torn) {
          warn(
            `${displayPath(this.path)}:${i + 1}: dropped a torn last line (the run stopped mid-write); that item runs again`,
          );
          this.#truncate(text.length - line.length);
          return;
        }
        throw this.#corrupt(i + 1, "is not valid JSON");
      }
      if (i === 0) {
        const header = value as { format?: unknown; runKey?: unknown } | null;
        if (header?.format !== format || header.runKey !== this.#runKey) {
          throw this.#corrupt(1, `is not the header of this run's journal (expected ${format})`);
        }
        continue;
      }
      const entry = value as { digest?: unknown; sample?: unknown } | null;
      if (
        entry === null ||
        typeof entry !== "object" ||
        Object.keys(entry).length !== 2 ||
        typeof entry.digest !== "string"
      ) {
        throw this.#corrupt(i + 1, "is not a journal entry (expected {digest, sample})");
      }
      if (entry.digest !== lineDigest(this.#runKey, entry.sample)) {
        throw this.#corrupt(i + 1, "has a digest that does not match its sample and this run");
      }
      const problem = check(entry.sample);
      if (problem !== undefined) throw this.#corrupt(i + 1, problem);
      const sample = entry.sample as SampleRecord;
      const key = Journal.key(sample.task, sample.index);
      if (this.done.has(key)) throw this.#corrupt(i + 1, `repeats item ${key}`);
      this.done.set(key, sample);
    }
  }

  #truncate(length: number): void {
    const fd = openSync(this.path, "r+");
    try {
      ftruncateSync(fd, Buffer.byteLength(readFileSync(this.path, "utf8").slice(0, length)));
    } finally {
      closeSync(fd);
    }
  }

  #lock(warn: (message: string) => void): void {
    const me = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockPath, "wx");
        writeSync(fd, JSON.stringify(me));
        closeSync(fd);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = readLock(this.lockPath);
      if (holder && holder.host === me.host && isAlive(holder.pid)) {
        throw new BenchError(
          "E_JOURNAL_LOCKED",
          `${displayPath(this.path)}: another bench process (pid ${holder.pid}, since ${printable(String(holder.since), 40)}) is running this evaluation`,
          {
            hint: `wait for it to finish or stop it; if no such process runs, delete ${displayPath(this.lockPath)}`,
          },
        );
      }
      if (holder && holder.host !== me.host) {
        throw new BenchError(
          "E_JOURNAL_LOCKED",
          `${displayPath(this.path)}: locked by bench on host ${printable(JSON.stringify(holder.host))} (pid ${holder.pid})`,
          { hint: `if that run is over, delete ${displayPath(this.lockPath)}` },
        );
      }
      warn(
        `${displayPath(this.lockPath)}: taking over the lock of a bench process that is gone (pid ${holder?.pid ?? "unknown"})`,
      );
      rmSync(this.lockPath, { force: true });
    }
    throw new BenchError(
      "E_JOURNAL_LOCKED",
      `${displayPath(this.lockPath)}: could not take the lock`,
    );
  }

  #unlock(): void {
    const holder = readLock(this.lockPath);
    if (holder?.pid === process.pid) rmSync(this.lockPath, { force: true });
  }
}

function readLock(path: string): { pid: number; host: string; since: string } | undefined {
  try {
    const value = JSON.parse(readFileSync(path, "utf8"));
    return Number.isInteger(value?.pid) && typeof value.host === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
