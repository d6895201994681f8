import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { lineDigest } from "../../src/runner/journal.ts";
import { evalArgs } from "./baseline.ts";
import { type CaseContext, defineCases } from "./case.ts";
import { write } from "./harness.ts";

/** The journal of `evalArgs` in this case's home, as the interrupted baseline run left it. */
const journalPath = (c: CaseContext) => join(c.home, "journals", c.base.journal.name);
const shown = (c: CaseContext) => `journals/${c.base.journal.name}`;

function writeJournal(c: CaseContext, edit: (lines: string[]) => string[], end = "\n"): void {
  write(journalPath(c), `${edit([...c.base.journal.lines]).join("\n")}${end}`);
}

function writeLock(c: CaseContext, holder: unknown): void {
  write(`${journalPath(c)}.lock`, typeof holder === "string" ? holder : JSON.stringify(holder));
}

/** A journal line that is sound in itself but digested for another run. */
function lineOfAnotherRun(line: string): string {
  const { sample } = JSON.parse(line) as { sample: unknown };
  return JSON.stringify({ digest: lineDigest("f".repeat(64), sample), sample });
}

const at = (c: CaseContext, line: number) => `${shown(c)}:${line}`;

export const journalCases = defineCases([
  {
    name: "journal: a corrupt line in the middle",
    setup: (c) => writeJournal(c, (l) => [l[0], l[1], '{"digest": "oops", "sam', l[3]] as string[]),
    args: evalArgs,
    code: 1,
    mentions: (c) => [at(c, 3), "delete"],
  },
  {
    name: "journal: a line from another run",
    setup: (c) =>
      writeJournal(c, (l) => [l[0], lineOfAnotherRun(l[1] as string), l[2], l[3]] as string[]),
    args: evalArgs,
    code: 1,
    mentions: (c) => [at(c, 2)],
  },
  {
    name: "journal: a line repeated",
    setup: (c) => writeJournal(c, (l) => [l[0], l[1], l[1], l[2]] as string[]),
    args: evalArgs,
    code: 1,
    mentions: (c) => [at(c, 3)],
  },
  {
    name: "journal: the header of another run",
    setup: (c) =>
      writeJournal(c, (l) => [
        JSON.stringify({ format: "bench.journal/1", runKey: "0".repeat(64) }),
        ...l.slice(1),
      ]),
    args: evalArgs,
    code: 1,
    mentions: (c) => [at(c, 1)],
  },
  {
    name: "journal: a line nested 100,000 deep",
    setup: (c) =>
      writeJournal(
        c,
        (l) => [l[0], `${"[".repeat(100_000)}${"]".repeat(100_000)}`, l[1]] as string[],
      ),
    args: evalArgs,
    code: 1,
    mentions: (c) => [at(c, 2)],
  },
  {
    name: "journal: NUL bytes and a bidi override in a line",
    setup: (c) => writeJournal(c, (l) => [l[0], '{"digest": "\u0000\u202E"}', l[1]] as string[]),
    args: evalArgs,
    code: 1,
    mentions: (c) => [at(c, 2)],
  },
  {
    name: "journal: a torn last line is dropped and the run resumes",
    setup: (c) =>
      writeJournal(c, (l) => [l[0], l[1], (l[2] as string).slice(0, 30)] as string[], ""),
    args: evalArgs,
    code: 0,
    mentions: (c) => [at(c, 3), "torn", "acc"],
  },
  {
    name: "journal: the journal path is a folder",
    setup: (c) => mkdirSync(journalPath(c), { recursive: true }),
    args: evalArgs,
    code: 1,
    mentions: (c) => [shown(c)],
  },
  {
    name: "journal: lock held by a live process (the test's own pid)",
    setup: (c) => {
      writeJournal(c, (l) => l);
      writeLock(c, { pid: process.pid, host: hostname(), since: new Date().toISOString() });
    },
    args: evalArgs,
    code: 1,
    mentions: (c) => [shown(c), String(process.pid)],
  },
  {
    name: "journal: lock held on another host",
    setup: (c) => writeLock(c, { pid: 1, host: "build-box-\u202E7", since: "2026-01-01" }),
    args: evalArgs,
    code: 1,
    mentions: (c) => [shown(c), "build-box"],
  },
  {
    name: "journal: lock of a dead process is taken over",
    setup: (c) => {
      writeJournal(c, (l) => l);
      writeLock(c, { pid: 2 ** 22 + 17, host: hostname(), since: "2026-01-01" });
    },
    args: evalArgs,
    code: 0,
    mentions: (c) => [`${shown(c)}.lock`, "acc"],
  },
  {
    name: "journal: garbage lock file is taken over",
    setup: (c) => writeLock(c, "\u0000\u0001 not json"),
    args: evalArgs,
    code: 0,
    mentions: (c) => [`${shown(c)}.lock`, "acc"],
  },
  {
    name: "journal: lock path is a folder",
    setup: (c) => mkdirSync(`${journalPath(c)}.lock`, { recursive: true }),
    args: evalArgs,
    code: 1,
    mentions: (c) => [`${shown(c)}.lock`],
  },
  {
    name: "journal: the journals folder is a file",
    setup: (c) => write(join(c.home, "journals"), "a file\n"),
    args: evalArgs,
    code: 1,
    mentions: (c) => [join(c.home, "journals")],
  },
]);
