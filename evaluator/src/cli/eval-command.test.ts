import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureIo } from "../../test/helpers.ts";
import { BenchError } from "../errors/index.ts";
import type { EvalOptions, EvalOutcome } from "../runner/run-eval.ts";
import { main } from "./main.ts";
import { defaultThreads } from "./options.ts";

// The runner is the process boundary here: these tests are about what the CLI hands it.
const { runEvaluation } = vi.hoisted(() => ({
  runEvaluation: vi.fn<(options: EvalOptions) => Promise<EvalOutcome>>(),
}));
vi.mock("../runner/run-eval.ts", () => ({ runEvaluation }));

const outcome = {
  documentPath: "/results/a/b/smoke/run.json",
  samplesPath: "/results/a/b/smoke/run.samples.jsonl",
  document: {
    run: { id: "run" },
    scores: [],
    performance: { measured: {} },
    signature: { keyId: "k", signer: { kind: "local" } },
  },
  resumedItems: 0,
} as unknown as EvalOutcome;

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const capture = captureIo();
  const code = await main(argv, capture.io, env);
  return { code, stdout: capture.stdout(), stderr: capture.stderr() };
}

const evalArgs = (...flags: string[]) => ["eval", "m.yaml", "--suite", "smoke", "--json", ...flags];

afterEach(() => {
  runEvaluation.mockReset();
  vi.restoreAllMocks();
});

const cores = availableParallelism();
const e = String(Math.min(4, cores));

describe("bench eval options", () => {
  it.each<[string, string[], NodeJS.ProcessEnv, string]>([
    [
      "--threads 0",
      evalArgs("--threads", "0"),
      {},
      `--threads: "0" is not a positive integer (expected 1..${cores})\nhint: pass e.g. --threads ${e}\n`,
    ],
    [
      "--threads above the cores",
      evalArgs("--threads", String(cores + 1)),
      {},
      `--threads: "${cores + 1}" is more than the ${cores} logical cores of this machine (expected 1..${cores})\nhint: pass e.g. --threads ${e}\n`,
    ],
    ...["1e3", "0x10", "  4", "4.0", "+4", "", "four"].map(
      (text): [string, string[], NodeJS.ProcessEnv, string] => [
        `--threads ${JSON.stringify(text)}`,
        evalArgs("--threads", text),
        {},
        `--threads: ${JSON.stringify(text)} is not a positive integer (expected 1..${cores})\nhint: pass e.g. --threads ${e}\n`,
      ],
    ),
    [
      "--threads=-1",
      evalArgs("--threads=-1"),
      {},
      `--threads: "-1" is not a positive integer (expected 1..${cores})\nhint: pass e.g. --threads ${e}\n`,
    ],
    [
      "--parallel 0",
      evalArgs("--parallel", "0"),
      {},
      '--parallel: "0" is not a positive integer (expected 1..256)\nhint: pass e.g. --parallel 4\n',
    ],
    [
      "--parallel 257",
      evalArgs("--parallel", "257"),
      {},
      '--parallel: "257" is too large (expected 1..256)\nhint: pass e.g. --parallel 4\n',
    ],
    [
      "--limit 2^31",
      evalArgs("--limit", "2147483648"),
      {},
      '--limit: "2147483648" is too large (expected 1..2147483647)\nhint: pass e.g. --limit 4\n',
    ],
    [
      "--limit with 30 digits",
      evalArgs("--limit", "9".repeat(30)),
      {},
      `--limit: "${"9".repeat(30)}" is too large (expected 1..2147483647)\nhint: pass e.g. --limit 4\n`,
    ],
    [
      "--limit 0.5",
      evalArgs("--limit", "0.5"),
      {},
      '--limit: "0.5" is not a positive integer (expected 1..2147483647)\nhint: pass e.g. --limit 4\n',
    ],
    [
      "--gpu yes",
      evalArgs("--gpu", "yes"),
      {},
      '--gpu: "yes" is not a GPU mode (expected one of: false, auto, cuda, vulkan, metal)\nhint: pass e.g. --gpu false\n',
    ],
    [
      "--out ''",
      evalArgs("--out", ""),
      {},
      "--out: the value is empty\nhint: pass a value after --out\n",
    ],
    [
      "BENCH_THREADS=abc",
      evalArgs(),
      { BENCH_THREADS: "abc" },
      `BENCH_THREADS: "abc" is not a positive integer (expected 1..${cores})\nhint: set BENCH_THREADS to e.g. ${e}, or unset it\n`,
    ],
    [
      "BENCH_THREADS above the cores",
      evalArgs(),
      { BENCH_THREADS: String(cores * 2) },
      `BENCH_THREADS: "${cores * 2}" is more than the ${cores} logical cores of this machine (expected 1..${cores})\nhint: set BENCH_THREADS to e.g. ${e}, or unset it\n`,
    ],
    [
      "BENCH_PARALLEL=1000",
      evalArgs(),
      { BENCH_PARALLEL: "1000" },
      'BENCH_PARALLEL: "1000" is too large (expected 1..256)\nhint: set BENCH_PARALLEL to e.g. 4, or unset it\n',
    ],
    [
      "BENCH_PARALLEL=2.5",
      evalArgs(),
      { BENCH_PARALLEL: "2.5" },
      'BENCH_PARALLEL: "2.5" is not a positive integer (expected 1..256)\nhint: set BENCH_PARALLEL to e.g. 4, or unset it\n',
    ],
    [
      "BENCH_GPU=yes",
      evalArgs(),
      { BENCH_GPU: "yes" },
      'BENCH_GPU: "yes" is not a GPU mode (expected one of: false, auto, cuda, vulkan, metal)\nhint: set BENCH_GPU to e.g. false, or unset it\n',
    ],
    [
      "BENCH_DEBUG=yes",
      evalArgs(),
      { BENCH_DEBUG: "yes" },
      'BENCH_DEBUG: "yes" is not a switch (expected 1 or 0)\nhint: set BENCH_DEBUG to e.g. 1, or unset it\n',
    ],
    [
      "--limit without a value",
      evalArgs("--limit"),
      {},
      "bench eval: --limit needs a value\nhint: run bench eval --help\n",
    ],
    [
      "--limit -1",
      evalArgs("--limit", "-1"),
      {},
      'bench eval: --limit needs a value, and "-1" after it starts with a dash\nhint: write --limit=-1 to pass a value that starts with a dash\n',
    ],
    [
      "--json=1",
      evalArgs("--json=1"),
      {},
      "bench eval: --json takes no value\nhint: run bench eval --help\n",
    ],
    [
      "--limt",
      evalArgs("--limt", "3"),
      {},
      "bench eval: unknown flag '--limt' (did you mean '--limit'? valid: --suite, --limit, --subset, --threads, --parallel, --gpu, --judge, --out, --key, --metrics-port, --metrics-host, --json, --help)\nhint: run bench eval --help\n",
    ],
    [
      "-t",
      evalArgs("-t", "3"),
      {},
      "bench eval: unknown flag '-t' (valid: --suite, --limit, --subset, --threads, --parallel, --gpu, --judge, --out, --key, --metrics-port, --metrics-host, --json, --help)\nhint: run bench eval --help\n",
    ],
    [
      "no --suite",
      ["eval", "m.yaml"],
      {},
      "bench eval: --suite is required\nhint: e.g. bench eval models/bench/tiny-random-llama.yaml --suite smoke\n",
    ],
    [
      "two manifests",
      ["eval", "a.yaml", "b.yaml", "--suite", "smoke"],
      {},
      'bench eval: expected 1 argument (<manifest>), got 2: "a.yaml" "b.yaml"\nhint: e.g. bench eval models/bench/tiny-random-llama.yaml --suite smoke\n',
    ],
  ])("%s exits 2 naming the flag or variable", async (_, argv, env, stderr) => {
    const result = await run(argv, env);
    expect(result).toEqual({ code: 2, stdout: "", stderr });
    expect(runEvaluation).not.toHaveBeenCalled();
  });

  it("rejects a megabyte of digits without hanging", async () => {
    const result = await run(evalArgs("--limit", "1".repeat(1_000_000)));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is too large \(expected 1\.\.2147483647\)/);
  });

  const base = {
    manifest: "m.yaml",
    suite: "smoke",
    outDir: resolve("results"),
    subset: "full",
    progress: expect.anything(),
    signal: expect.any(AbortSignal),
  };
  it.each<[string, string[], NodeJS.ProcessEnv, Partial<EvalOptions>]>([
    ["defaults", [], {}, { threads: defaultThreads(), parallel: 1, gpu: false }],
    [
      "environment over defaults",
      [],
      { BENCH_THREADS: "1", BENCH_PARALLEL: "3", BENCH_GPU: "auto" },
      { threads: 1, parallel: 3, gpu: "auto" },
    ],
    [
      "flags over the environment, even a bad one",
      ["--threads", "1", "--parallel", "2", "--gpu", "false"],
      { BENCH_THREADS: "abc", BENCH_PARALLEL: "0", BENCH_GPU: "cuda" },
      { threads: 1, parallel: 2, gpu: false },
    ],
    [
      "an empty variable counts as unset",
      [],
      { BENCH_THREADS: "", BENCH_PARALLEL: "" },
      { threads: defaultThreads(), parallel: 1, gpu: false },
    ],
    [
      "the quick subset, from the environment or the flag",
      ["--subset", "quick"],
      { BENCH_SUBSET: "full" },
      { threads: defaultThreads(), parallel: 1, gpu: false, subset: "quick" },
    ],
    [
      "limit, key, out and the largest values",
      ["--limit", "2147483647", "--parallel", "256", "--key", "k.pem", "--out", "out"],
      {},
      {
        threads: defaultThreads(),
        parallel: 256,
        gpu: false,
        limit: 2147483647,
        keyFile: "k.pem",
        outDir: resolve("out"),
      },
    ],
  ])("%s", async (_, flags, env, expected) => {
    runEvaluation.mockResolvedValue(outcome);
    const result = await run(evalArgs(...flags), env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(runEvaluation).toHaveBeenCalledTimes(1);
    expect(runEvaluation.mock.calls[0]?.[0]).toEqual({ ...base, env, ...expected });
  });
});

describe("bench eval interrupts", () => {
  const listeners = () => [process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")];
  const started = () => vi.waitFor(() => expect(runEvaluation).toHaveBeenCalled());

  it("aborts the run on the first signal, prints the runner's E_INTERRUPTED, removes its handlers", async () => {
    const before = listeners();
    runEvaluation.mockImplementation(
      ({ signal }) =>
        new Promise((_, reject) =>
          signal?.addEventListener("abort", () =>
            reject(
              new BenchError(
                "E_INTERRUPTED",
                "bench eval: interrupted with 7 items journaled; the same command resumes",
              ),
            ),
          ),
        ),
    );
    const pending = run(evalArgs());
    await started();
    expect(listeners()).toEqual(before.map((n) => n + 1));
    process.emit("SIGINT");
    expect(await pending).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "\nbench eval: SIGINT: stopping after the items in flight (again to quit now)\nbench eval: interrupted with 7 items journaled; the same command resumes\n",
    });
    expect(listeners()).toEqual(before);
  });

  it("reports an engine's own abort error as the interruption", async () => {
    runEvaluation.mockImplementation(
      ({ signal }) =>
        new Promise((_, reject) =>
          signal?.addEventListener("abort", () =>
            reject(new DOMException("aborted", "AbortError")),
          ),
        ),
    );
    const pending = run(evalArgs());
    await started();
    process.emit("SIGTERM");
    const result = await pending;
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "\nbench eval: SIGTERM: stopping after the items in flight (again to quit now)\nbench eval: interrupted by SIGTERM\nhint: finished items are journaled under $BENCH_HOME/journals: run the same command again to resume\n",
    );
  });

  it("exits 130 at once on the second signal", async () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    let finish = () => {};
    runEvaluation.mockImplementation(
      () => new Promise((_, reject) => (finish = () => reject(new Error("stopped")))),
    );
    const pending = run(evalArgs());
    await started();
    process.emit("SIGINT");
    expect(exit).not.toHaveBeenCalled();
    process.emit("SIGINT");
    expect(exit).toHaveBeenCalledWith(130);
    finish();
    expect((await pending).code).toBe(1);
  });

  it("leaves no handlers behind after a successful run", async () => {
    const before = listeners();
    runEvaluation.mockResolvedValue(outcome);
    expect((await run(evalArgs())).code).toBe(0);
    expect(listeners()).toEqual(before);
  });
});
