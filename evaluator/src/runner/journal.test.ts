import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mcTask, planInput } from "../../test/fixtures.ts";
import { tempDir } from "../../test/helpers.ts";
import { Journal, lineDigest } from "./journal.ts";
import { plan } from "./plan.ts";
import { sampleCheck } from "./sample.ts";

const planned = plan(planInput([[mcTask(), 4]]));
const runKey = planned.runKey;
const check = sampleCheck(planned.tasks);
const header = JSON.stringify({ format: "bench.journal/1", runKey });
const sample = (index: number, extra: Record<string, unknown> = {}) => ({
  task: "mc",
  index,
  status: "ok",
  scores: { acc: 1, acc_norm: 0 },
  ...extra,
});
const line = (s: unknown, key = runKey) =>
  JSON.stringify({ digest: lineDigest(key, s), sample: s });

let root: { dir: string; cleanup: () => void };
beforeAll(() => {
  root = tempDir("bench-journal-");
});
afterAll(() => root.cleanup());

let counter = 0;
function journalWith(text: string): string {
  const path = join(root.dir, `j${++counter}.jsonl`);
  writeFileSync(path, text);
  return path;
}

function open(path: string) {
  const warnings: string[] = [];
  const journal = Journal.open(path, { runKey, check, onWarning: (m) => warnings.push(m) });
  return { journal, warnings };
}

describe("journal", () => {
  it("writes a header, appends checked lines, and reads them back in a later process", () => {
    const path = join(root.dir, "fresh.jsonl");
    const first = open(path).journal;
    first.append(sample(0) as never);
    first.append(
      sample(2, {
        status: "error",
        scores: undefined,
        error: { code: "E_BACKEND", message: "x" },
      }) as never,
    );
    first.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
    const again = open(path);
    expect([...again.journal.done.keys()]).toEqual(["mc#0", "mc#2"]);
    expect(again.warnings).toEqual([]);
    again.journal.remove();
    expect([existsSync(path), existsSync(`${path}.lock`)]).toEqual([false, false]);
  });

  it("drops a torn last line with a warning, and appends after it cleanly", () => {
    const path = journalWith(`${header}\n${line(sample(0))}\n${line(sample(1)).slice(0, 40)}`);
    const { journal, warnings } = open(path);
    expect([...journal.done.keys()]).toEqual(["mc#0"]);
    expect(warnings).toEqual([expect.stringContaining(":3: dropped a torn last line")]);
    journal.append(sample(1) as never);
    journal.close();
    expect([...open(path).journal.done.keys()]).toEqual(["mc#0", "mc#1"]);
  });

  const bad = (s: unknown) => line(s);
  it.each([
    [
      "a line that is not JSON, before the end",
      `${header}\n{"digest":\n${line(sample(0))}\n`,
      ":2: is not valid JSON",
    ],
    [
      "a header of another format",
      `{"format":"other","runKey":"${runKey}"}\n`,
      ":1: is not the header of this run's journal",
    ],
    [
      "the header of another run",
      `${JSON.stringify({ format: "bench.journal/1", runKey: "f".repeat(64) })}\n`,
      ":1: is not the header",
    ],
    [
      "a line from another run",
      `${header}\n${line(sample(0), "e".repeat(64))}\n`,
      ":2: has a digest that does not match",
    ],
    [
      "an edited score",
      `${header}\n${line(sample(0)).replace('"acc":1', '"acc":0')}\n`,
      ":2: has a digest that does not match",
    ],
    [
      "an entry without a digest",
      `${header}\n${JSON.stringify({ sample: sample(0) })}\n`,
      ":2: is not a journal entry",
    ],
    [
      "an entry with extra fields",
      `${header}\n${JSON.stringify({ digest: "x", sample: sample(0), more: 1 })}\n`,
      ":2: is not a journal entry",
    ],
    ["a JSON array", `${header}\n[1,2]\n`, ":2: is not a journal entry"],
    ["null", `${header}\nnull\n`, ":2: is not a journal entry"],
    [
      "a task the run does not have",
      `${header}\n${bad(sample(0, { task: "other" }))}\n`,
      ':2: names task "other"',
    ],
    [
      "an item the run does not evaluate",
      `${header}\n${bad(sample(9))}\n`,
      ":2: names item 9 of task mc",
    ],
    ["a fractional index", `${header}\n${bad(sample(1.5))}\n`, ":2: names item 1.5"],
    [
      "a missing metric score",
      `${header}\n${bad(sample(0, { scores: { acc: 1 } }))}\n`,
      ":2: has no valid acc_norm score",
    ],
    [
      "a score that is a string",
      `${header}\n${bad(sample(0, { scores: { acc: "1", acc_norm: 0 } }))}\n`,
      ":2: has no valid acc score",
    ],
    [
      "an unknown status",
      `${header}\n${bad(sample(0, { status: "maybe" }))}\n`,
      ':2: has status "maybe"',
    ],
    [
      "an error without a code",
      `${header}\n${bad(sample(0, { status: "error", error: {} }))}\n`,
      ":2: is a failed item without",
    ],
    [
      "the same item twice",
      `${header}\n${line(sample(0))}\n${line(sample(0))}\n`,
      ":3: repeats item mc#0",
    ],
  ])("fails on %s, naming the journal and line and how to discard it", (_, text, problem) => {
    const path = journalWith(text);
    let error: unknown;
    try {
      open(path);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: "E_JOURNAL",
      hint: expect.stringContaining(`delete ${path}`),
    });
    expect((error as Error).message).toContain(`${path}${problem}`);
    expect((error as Error).message).not.toContain("\n");
    // the failed open released its lock
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it("refuses a journal whose lock a live process (this one) holds, naming it", () => {
    const path = journalWith("");
    writeFileSync(
      `${path}.lock`,
      JSON.stringify({ pid: process.pid, host: hostname(), since: "t" }),
    );
    expect(() => open(path)).toThrow(
      expect.objectContaining({
        code: "E_JOURNAL_LOCKED",
        message: expect.stringContaining(`another bench process (pid ${process.pid}`),
      }),
    );
    // the lock is not ours: it stays
    expect(existsSync(`${path}.lock`)).toBe(true);
  });

  it("refuses a lock taken on another host, its name escaped", () => {
    const path = journalWith("");
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: 1, host: "else\u202Ewhere", since: "t" }));
    expect(() => open(path)).toThrow(
      expect.objectContaining({
        code: "E_JOURNAL_LOCKED",
        message: expect.stringContaining('on host "else\\u{202e}where" (pid 1)'),
      }),
    );
  });

  it.each([
    ["the journal", (path: string) => path, "journal"],
    ["its lock", (path: string) => `${path}.lock`, "lock file"],
  ])("refuses a folder where %s belongs, naming it", (_, where, what) => {
    const path = join(root.dir, `folder${++counter}.jsonl`);
    mkdirSync(where(path));
    expect(() => open(path)).toThrow(
      expect.objectContaining({
        code: "E_JOURNAL",
        message: `${where(path)}: is a folder, not a ${what}`,
      }),
    );
  });

  it("refuses a journals folder that is a file, naming it", () => {
    const blocker = journalWith("a file");
    expect(() => open(join(blocker, "run.jsonl"))).toThrow(
      expect.objectContaining({
        code: "E_JOURNAL",
        message: expect.stringContaining(`${blocker}: cannot hold run journals (`),
      }),
    );
  });

  it.each([
    [
      "a process that is gone",
      () => JSON.stringify({ pid: deadPid(), host: hostname(), since: "t" }),
    ],
    ["a lock file that is garbage", () => "\u0000garbage"],
  ])("takes over the lock of %s, with a warning", (_, lock) => {
    const path = journalWith(`${header}\n${line(sample(0))}\n`);
    writeFileSync(`${path}.lock`, lock());
    const { journal, warnings } = open(path);
    expect(warnings).toEqual([expect.stringContaining("taking over the lock")]);
    expect(JSON.parse(readFileSync(`${path}.lock`, "utf8")).pid).toBe(process.pid);
    journal.close();
  });
});

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}
