import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import type { Sample } from "../tasks/types.ts";

/**
 * An append-only record of finished items, so an interrupted run resumes where it stopped.
 * One JSON line per sample; a torn last line (crash mid-write) is ignored.
 */
export class Journal {
  readonly path: string;
  readonly done = new Map<string, Sample>();

  constructor(path: string) {
    this.path = path;
    if (!existsSync(path)) return;
    for (const line of readFileSync(path, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      try {
        const sample = JSON.parse(line) as Sample;
        this.done.set(Journal.key(sample.task, sample.index), sample);
      } catch {
        // a torn write at the end of the file: that item runs again
      }
    }
  }

  static key(task: string, index: number): string {
    return `${task}#${index}`;
  }

  has(task: string, index: number): boolean {
    return this.done.has(Journal.key(task, index));
  }

  append(sample: Sample): void {
    if (this.done.size === 0) mkdirSync(dirname(this.path), { recursive: true });
    appendFileSync(this.path, `${JSON.stringify(sample)}\n`);
    this.done.set(Journal.key(sample.task, sample.index), sample);
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}
