import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  captureIo,
  hasShared,
  repoRoot,
  sharedDir,
  sharedMissing,
  tempDir,
} from "../../test/helpers.ts";
import { validateAgainst } from "../config/schema.ts";
import { listResultFiles } from "../result/verify.ts";
import { main } from "./main.ts";
import { commandSpecs } from "./options.ts";

const tinyManifest = join(repoRoot, "models/bench/tiny-random-llama.yaml");
const storiesManifest = join(repoRoot, "models/karpathy/stories260K.yaml");

let home: { dir: string; cleanup: () => void };
const saved = { ...process.env };
beforeAll(() => {
  home = tempDir("bench-home-");
  process.env.BENCH_HOME = home.dir;
  delete process.env.BENCH_SIGNING_KEY;
});
afterAll(() => {
  process.env = saved;
  home.cleanup();
});

async function run(...argv: string[]) {
  const capture = captureIo();
  const code = await main(argv, capture.io);
  return { code, stdout: capture.stdout(), stderr: capture.stderr() };
}

describe("bench eval → verify", () => {
  let out: { dir: string; cleanup: () => void };
  beforeAll(() => {
    out = tempDir("bench-results-");
  });
  afterAll(() => out.cleanup());

  it("evaluates the default model and writes a signed result that verifies", async () => {
    const result = await run(
      "eval",
      tinyManifest,
      "--suite",
      "smoke",
      "--out",
      out.dir,
      "--threads",
      "1",
      "--limit",
      "12",
    );
    expect(result.stderr).toContain("bench/tiny-random-llama on smoke: 12/12");
    expect(result.stdout).toMatch(/^everyday-mc acc 0\.\d{4} ± 0\.\d{4} \(n=12\)$/m);
    expect(result.code).toBe(0);
    const [file] = listResultFiles(out.dir);
    expect(file).toMatch(/bench\/tiny-random-llama\/smoke\/\d{8}T\d{6}Z-[0-9a-f]{6}\.json$/);
    const document = validateAgainst(
      "result",
      JSON.parse(readFileSync(file as string, "utf8")),
      "result",
    );
    expect(document.run.complete).toBe(false);
    expect(document.model.purpose).toBe("pipeline-check");
    expect(document.signature?.signer.kind).toBe("local");
    const samples = readFileSync(
      join(out.dir, "bench/tiny-random-llama/smoke", document.samples.path),
      "utf8",
    )
      .trim()
      .split("\n");
    expect(samples).toHaveLength(12);
    const first = JSON.parse(samples[0] as string);
    expect(Object.keys(first).sort()).toEqual(
      [
        "chars",
        "choices",
        "context",
        "gold",
        "greedy",
        "index",
        "loglikelihoods",
        "prediction",
        "predictionNorm",
        "scores",
        "status",
        "task",
        "tokens",
        "bytes",
        "tokenIds",
        "tokenLogprobs",
      ].sort(),
    );
    expect(first.context).toBe("Question: What colour is the sky on a clear day?\nAnswer:");

    const strict = await run("verify", out.dir);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain("untrusted  ");
    expect((await run("verify", out.dir, "--allow-untrusted")).code).toBe(0);

    // trusting the local key (bench key prints its entry) makes the same result pass strictly
    const entry = JSON.parse((await run("key", "--owner", "test maintainer")).stdout);
    expect(entry.keyId).toBe(document.signature?.keyId);
    writeFileSync(
      join(out.dir, "trusted-keys.json"),
      JSON.stringify({ schemaVersion: 1, keys: [entry] }),
    );
    const trusted = await run("verify", out.dir, "--trust", join(out.dir, "trusted-keys.json"));
    expect(trusted.stdout).toContain(`trusted    ${file} (key ${entry.keyId}, test maintainer)`);
    expect(trusted.code).toBe(0);
  });

  it("fails verify, naming the file, when any number changes", async () => {
    const [file] = listResultFiles(out.dir) as [string];
    const original = readFileSync(file, "utf8");
    const document = JSON.parse(original);
    document.scores[0].n += 1;
    writeFileSync(file, JSON.stringify(document, null, 2));
    const result = await run("verify", out.dir, "--allow-untrusted");
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `TAMPERED   ${file}: $.signature.value: does not match the document`,
    );
    writeFileSync(file, original);
    expect((await run("verify", file, "--allow-untrusted")).code).toBe(0);
  });
});

describe.skipIf(!hasShared)(
  `bench eval on stories260K through BENCH_MIRROR${hasShared ? "" : ` (skipped: ${sharedMissing})`}`,
  () => {
    it("resolves the weights from the mirror by sha256 and file name", async () => {
      const out = tempDir("bench-results-");
      process.env.BENCH_MIRROR = join(sharedDir, "models");
      process.env.BENCH_OFFLINE = "1";
      process.env.BENCH_CACHE = join(out.dir, "cache");
      try {
        const result = await run(
          "eval",
          storiesManifest,
          "--suite",
          "smoke",
          "--out",
          out.dir,
          "--threads",
          "1",
          "--json",
        );
        expect(result.code).toBe(0);
        const summary = JSON.parse(result.stdout);
        expect(summary.scores.map((s: { metric: string; n: number }) => [s.metric, s.n])).toEqual([
          ["acc", 48],
          ["acc_norm", 48],
        ]);
        const document = JSON.parse(readFileSync(summary.documentPath, "utf8"));
        expect(document.model.weightsSha256).toBe(
          "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d",
        );
        expect(document.environment.backend["node-llama-cpp"]).toBe("3.22.1");
        expect(document.performance.notMeasured.map((m: { metric: string }) => m.metric)).toContain(
          "energyJoules",
        );
        expect((await run("verify", summary.documentPath, "--allow-untrusted")).code).toBe(0);
      } finally {
        delete process.env.BENCH_MIRROR;
        delete process.env.BENCH_OFFLINE;
        delete process.env.BENCH_CACHE;
        out.cleanup();
      }
    });
  },
);

describe("user mistakes", () => {
  it.each([
    [
      ["eval", tinyManifest, "--suite", "smoke", "--limt", "3"],
      2,
      "bench eval: unknown flag '--limt' (did you mean '--limit'?",
    ],
    [["eval", tinyManifest], 2, "bench eval: --suite is required"],
    [
      ["eval", tinyManifest, "--suite", "smoek"],
      1,
      "--suite: unknown suite 'smoek' (did you mean 'smoke'? valid: arc-",
    ],
    [
      ["eval", tinyManifest, "--suite", "smoke", "--threads", "0"],
      2,
      '--threads: "0" is not a positive integer',
    ],
    [
      ["eval", tinyManifest, "--suite", "smoke", "--gpu", "yes"],
      2,
      '--gpu: "yes" is not a GPU mode (expected one of: false, auto, cuda, vulkan, metal)',
    ],
    [
      ["eval", "models/none/missing.yaml", "--suite", "smoke"],
      1,
      "models/none/missing.yaml: no such file",
    ],
    [["evaluate"], 2, "bench: unknown command 'evaluate' (did you mean 'eval'?"],
    [["verify", "no/such/dir"], 1, "no/such/dir: no such file or folder"],
  ])("%j exits %i with a message", async (argv, code, message) => {
    const result = await run(...argv);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain("    at ");
    expect(result.code).toBe(code);
  });

  it.each([
    [
      ["verify", "--allow-untrsted"],
      "bench verify: unknown flag '--allow-untrsted' (did you mean '--allow-untrusted'? valid: --trust, --allow-untrusted, --json, --help)\nhint: run bench verify --help\n",
    ],
    [
      ["validate", "--jsno"],
      "bench validate: unknown flag '--jsno' (did you mean '--json'? valid: --json, --help)\nhint: run bench validate --help\n",
    ],
    [
      ["key", "--ownr", "me"],
      "bench key: unknown flag '--ownr' (did you mean '--owner'? valid: --owner, --key, --help)\nhint: run bench key --help\n",
    ],
    [["key", "--owner", ""], "--owner: the value is empty\nhint: pass a value after --owner\n"],
  ])("%j exits 2 with exactly this message", async (argv, stderr) => {
    expect(await run(...argv)).toEqual({ code: 2, stdout: "", stderr });
  });

  it("validate lists every invalid file and exits 1", async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir.dir, "bad.yaml"), "schemaVersion: 1\nid: Bad Id\n");
      const result = await run("validate", dir.dir, join(repoRoot, "suites"));
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('bad.yaml: $.id: "Bad Id" is malformed');
      expect(result.stdout).toContain("suites/smoke/suite.yaml (suite)");
      expect(result.stdout).toMatch(/\d+ valid, 1 invalid\n$/);
    } finally {
      dir.cleanup();
    }
  });
});

describe("help is generated from the option tables", () => {
  it("bench --help lists every command and the global flags", async () => {
    const result = await run("--help");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatchInlineSnapshot(`
      "bench: benchmark-as-code for open-weight language models

      Usage:
        bench validate [paths…]                  check manifests and suites against schemas/
        bench eval <manifest> --suite <id|path>  evaluate a model on a suite, write a signed result
        bench load <manifest>                    load-test a model (an OpenAI-compatible server) and write
                                                 a signed result
        bench verify [paths…]                    check result signatures and the trust list
        bench compare <a> <b>                    per-task deltas between two results, with paired tests
        bench key                                print the signing key's trust-list entry
        bench <command> --help                   options of one command
        bench --version                          the evaluator's version

      Global options (before or after the command):
        --debug  print the stack and cause chain of any error
                 env: BENCH_DEBUG
      "
    `);
  });

  it("bench eval --help", async () => {
    const result = await run("eval", "--help");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatchInlineSnapshot(`
      "Usage: bench eval <manifest> --suite <id|path> [options]

      Evaluates one model on one suite and writes a signed result and its samples to
      <out>/<org>/<model>/<suite>/<run>.json. Finished items are journaled under $BENCH_HOME/journals:
      after a crash or Ctrl-C, the same command resumes where it stopped (the result says resumed: true).

      Arguments:
        <manifest>  model manifest, models/<org>/<name>.yaml

      Options:
        --suite <id|path>         suite id from suites/, or a suite.yaml
                                  required
        --limit <n>               only the first n items of each task (the result says complete: false)
                                  default: all
        --subset <name>           full runs every item; quick runs the suite's seeded quick subset (its
                                  $.quick: the same items every time; the result says complete: false)
                                  default: full; env: BENCH_SUBSET
        --threads <n>             CPU threads for llama.cpp, at most the number of logical cores (1 is
                                  fastest on 2 cores)
                                  default: half the cores, ≥ 1; env: BENCH_THREADS
        --parallel <n>            items in flight, batched into one forward pass (1..256, within the
                                  model's context); above 1 results are not bit-for-bit reproducible
                                  (log-likelihoods differ in the last digits with batch composition) and
                                  the journal key includes it
                                  default: 1; env: BENCH_PARALLEL
        --gpu <mode>              GPU to offload to: false, auto, cuda, vulkan, metal; false runs on the
                                  CPU (prebuilt binaries only)
                                  default: false; env: BENCH_GPU
        --judge <manifest>        judge every judge task with this model manifest instead of the judge the
                                  suite declares; recorded in the result (config.judge) and the journal's
                                  key
        --out <dir>               where results are written
                                  default: results
        --key <file>              Ed25519 PEM private key to sign with; without it and BENCH_SIGNING_KEY,
                                  a local key in $BENCH_HOME/keys, marked untrusted
                                  default: local key; env: BENCH_SIGNING_KEY (PEM text)
        --metrics-port <port>     serve Prometheus metrics at http://<metrics-host>:<port>/metrics while
                                  running (0: any free port; the URL is printed); see docs/monitoring/
        --metrics-host <address>  address the metrics listen on (0.0.0.0 to let a Prometheus in a
                                  container scrape them)
                                  default: 127.0.0.1
        --json                    machine-readable summary on stdout
        -h, --help                show this help

      Environment:
        BENCH_MIRROR     folder searched by file name and sha256 before any download
        BENCH_OFFLINE=1  never download
        BENCH_CACHE      content-addressed artifact cache
                         default: $BENCH_HOME/cache
        BENCH_HOME       local signing key and run journals
                         default: ~/.bench

      Example:
        bench eval models/bench/tiny-random-llama.yaml --suite smoke
      "
    `);
  });

  it.each(["validate", "verify", "key"])(
    "bench %s --help names every flag of its table",
    async (name) => {
      const result = await run(name, "-h");
      expect(result.code).toBe(0);
      const spec = commandSpecs[name as keyof typeof commandSpecs];
      for (const flag of Object.keys(spec.options)) expect(result.stdout).toContain(`--${flag}`);
      expect(result.stdout).toContain(spec.description.split(" ").slice(0, 4).join(" "));
    },
  );

  it("bench with no command prints the usage and exits 2", async () => {
    const result = await run();
    expect(result.code).toBe(2);
    expect(result.stdout).toBe((await run("--help")).stdout);
  });
});
