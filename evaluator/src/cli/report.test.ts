import { afterEach, describe, expect, it, vi } from "vitest";
import { captureIo } from "../../test/helpers.ts";
import { BenchError } from "../errors/index.ts";
import { main } from "./main.ts";
import { crashHandler } from "./report.ts";

// `bench key` calls loadSigningKey first: making it throw stands in for a bug anywhere below a command.
const { loadSigningKey } = vi.hoisted(() => ({ loadSigningKey: vi.fn() }));
vi.mock("../result/keys.ts", async (importOriginal) => ({
  ...(await importOriginal<object>()),
  loadSigningKey,
}));

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const capture = captureIo();
  const code = await main(argv, capture.io, env);
  return { code, stdout: capture.stdout(), stderr: capture.stderr() };
}

function bug(): never {
  throw new TypeError("boom", { cause: new Error("root cause") });
}

afterEach(() => loadSigningKey.mockReset());

describe("errors that reach main()", () => {
  it("prints one internal-error line for an exception that is not a BenchError", async () => {
    loadSigningKey.mockImplementation(bug);
    expect(await run(["key"])).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "bench: internal error E_INTERNAL: boom (run again with --debug for the stack; please report it)\n",
    });
  });

  it.each<[string, string[], NodeJS.ProcessEnv]>([
    ["--debug before the command", ["--debug", "key"], {}],
    ["--debug after the command", ["key", "--debug"], {}],
    ["BENCH_DEBUG=1", ["key"], { BENCH_DEBUG: "1" }],
  ])("adds the stack and the cause chain with %s", async (_, argv, env) => {
    loadSigningKey.mockImplementation(bug);
    const result = await run(argv, env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^bench: internal error E_INTERNAL: boom \(please report it\)\nTypeError: boom\n {4}at .*\n[\s\S]*caused by: Error: root cause\n {4}at /,
    );
  });

  it("keeps the stack out with BENCH_DEBUG=0", async () => {
    loadSigningKey.mockImplementation(bug);
    expect((await run(["key"], { BENCH_DEBUG: "0" })).stderr).not.toContain("    at ");
  });

  it.each<[string, unknown, string]>([
    ["a multi-line message", new Error("first\n  second"), "first second"],
    ["a thrown string", "plain text", "plain text"],
    [
      "a thrown object without a prototype",
      Object.create(null),
      "a value that cannot be printed was thrown",
    ],
  ])("keeps %s on one line", async (_, thrown, shown) => {
    loadSigningKey.mockImplementation(() => {
      throw thrown;
    });
    expect((await run(["key"])).stderr).toBe(
      `bench: internal error E_INTERNAL: ${shown} (run again with --debug for the stack; please report it)\n`,
    );
  });

  it("prints a BenchError as message and hint, and with --debug its stack and cause", async () => {
    const error = new BenchError("E_KEY", "--key k.pem: not a PEM private key", {
      hint: "generate one with: openssl genpkey -algorithm ed25519",
      cause: new RangeError("bad decrypt"),
    });
    loadSigningKey.mockImplementation(() => {
      throw error;
    });
    expect(await run(["key"])).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "--key k.pem: not a PEM private key\nhint: generate one with: openssl genpkey -algorithm ed25519\n",
    });
    const debug = await run(["key", "--debug"]);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(
      /^--key k\.pem: not a PEM private key\nhint: generate one with: openssl genpkey -algorithm ed25519\nBenchError: --key k\.pem: not a PEM private key\n {4}at [\s\S]*\ncaused by: RangeError: bad decrypt\n {4}at /,
    );
  });

  it("stops at a cycle in the cause chain", async () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    a.cause = b;
    loadSigningKey.mockImplementation(() => {
      throw a;
    });
    const { stderr } = await run(["key", "--debug"]);
    expect(stderr.match(/^(Error|caused by: Error): /gm)).toEqual([
      "Error: ",
      "caused by: Error: ",
    ]);
  });
});

describe("crashHandler (uncaughtException, unhandledRejection)", () => {
  it.each<[string, unknown, number, string]>([
    [
      "a bug",
      new TypeError("x is not a function"),
      1,
      "bench: internal error E_INTERNAL: x is not a function (run again with --debug for the stack; please report it)\n",
    ],
    [
      "a usage error",
      new BenchError("E_USAGE", "--limit: bad", { hint: "pass e.g. --limit 4" }),
      2,
      "--limit: bad\nhint: pass e.g. --limit 4\n",
    ],
  ])("reports %s like main() and exits with its status", (_, error, code, stderr) => {
    const capture = captureIo();
    const exit = vi.fn();
    crashHandler(capture.io, false, exit)(error);
    expect(exit).toHaveBeenCalledWith(code);
    expect(capture.stderr()).toBe(stderr);
  });
});
