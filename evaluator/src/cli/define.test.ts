import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.ts";
import { checkFolder, integer, smallFile } from "./define.ts";
import { capLines } from "./report.ts";

const root = tempDir("bench-define-");
afterAll(() => root.cleanup());
const flag = { kind: "flag", name: "--key" } as const;

describe("value parsers", () => {
  it("shows a bad value escaped and cut short", () => {
    const parse = integer(1, 10);
    expect(() => parse(`1\u202E0${"9".repeat(500)}`, { kind: "flag", name: "--limit" })).toThrow(
      expect.objectContaining({
        code: "E_USAGE",
        message: expect.stringMatching(/^--limit: "1\\u\{202e\}09+… is not a positive integer/),
      }),
    );
  });

  it.each([
    ["/dev/zero", "is a device, not a file"],
    [root.dir, "is a folder, not a file"],
  ])("smallFile refuses %s before anything reads it", (path, problem) => {
    expect(() => smallFile(64)(path, flag)).toThrow(
      expect.objectContaining({
        code: "E_USAGE",
        message: `--key: ${JSON.stringify(path)} ${problem}`,
      }),
    );
  });

  it("smallFile refuses a file over its size, and passes a small or missing one through", () => {
    const big = join(root.dir, "big.pem");
    writeFileSync(big, "x".repeat(65));
    expect(() => smallFile(64)(big, flag)).toThrow(/is 65 bytes \(expected at most 64\)/);
    writeFileSync(join(root.dir, "ok.pem"), "x");
    expect(smallFile(64)(join(root.dir, "ok.pem"), flag)).toBe(join(root.dir, "ok.pem"));
    expect(smallFile(64)(join(root.dir, "missing.pem"), flag)).toBe(join(root.dir, "missing.pem"));
  });
});

describe("checkFolder", () => {
  it("accepts a folder, or a path whose nearest existing parent is one", () => {
    mkdirSync(join(root.dir, "out"), { recursive: true });
    expect(() => checkFolder(flag, join(root.dir, "out"))).not.toThrow();
    expect(() => checkFolder(flag, join(root.dir, "out", "a", "b"))).not.toThrow();
  });

  it("names the variable when it, or a parent, is a file", () => {
    const file = join(root.dir, "home-file");
    writeFileSync(file, "");
    const env = { kind: "env", name: "BENCH_HOME" } as const;
    expect(() => checkFolder(env, file)).toThrow(
      expect.objectContaining({
        code: "E_USAGE",
        message: `BENCH_HOME: ${JSON.stringify(file)} cannot be a folder: it is a file`,
      }),
    );
    expect(() => checkFolder(env, join(file, "sub"))).toThrow(
      `BENCH_HOME: ${JSON.stringify(join(file, "sub"))} cannot be a folder (${JSON.stringify(file)})`,
    );
  });
});

describe("capLines", () => {
  it("keeps up to the limit and counts the rest", () => {
    expect(capLines(["a", "b"], 2)).toEqual(["a", "b"]);
    expect(capLines(["a", "b", "c", "d"], 2)).toEqual(["a", "b", "… and 2 more problems"]);
  });
});
