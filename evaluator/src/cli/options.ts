/**
 * Every command's options in one table each: parsing, `--help`, the README and docs/cli.md
 * (`npm run gen:docs`) and the GitHub Action's inputs all read these.
 */
import { availableParallelism } from "node:os";
import type { GpuChoice } from "../backends/types.ts";
import {
  decimal,
  defineCommand,
  integer,
  nonEmpty,
  oneOf,
  smallFile,
  switchValue,
} from "./define.ts";

/** A PEM key is a few hundred bytes. */
const keyFile = smallFile(64 * 1024);

/** `bench eval` runs llama.cpp on half the logical cores by default (1 is fastest on 2 cores). */
export function defaultThreads(): number {
  return Math.max(1, Math.floor(availableParallelism() / 2));
}

const gpuModes = {
  false: false,
  auto: "auto",
  cuda: "cuda",
  vulkan: "vulkan",
  metal: "metal",
} as const satisfies Record<string, GpuChoice>;

const signingKeyEnv = { name: "BENCH_SIGNING_KEY", note: "PEM text" };

/** Live Prometheus metrics, for eval and load. */
const metricsOptions = {
  "metrics-port": {
    type: "string",
    value: "port",
    help: "serve Prometheus metrics at http://<metrics-host>:<port>/metrics while running (0: any free port; the URL is printed); see docs/monitoring/",
    parse: integer(0, 65_535),
  },
  "metrics-host": {
    type: "string",
    value: "address",
    default: "127.0.0.1",
    help: "address the metrics listen on (0.0.0.0 to let a Prometheus in a container scrape them)",
    parse: nonEmpty,
  },
} as const;

/** What `--metrics-port` and `--metrics-host` ask of a run (nothing without a port). */
export function metricsRequest(
  values: { "metrics-port"?: number | undefined; "metrics-host": string },
  stderr: NodeJS.WritableStream,
): { metrics?: { port: number; host: string }; onMetrics?: (url: string) => void } {
  if (values["metrics-port"] === undefined) return {};
  return {
    metrics: { port: values["metrics-port"], host: values["metrics-host"] },
    onMetrics: (url: string) => stderr.write(`metrics: ${url}\n`),
  };
}

export const evalSpec = defineCommand({
  name: "eval",
  summary: "evaluate a model on a suite, write a signed result",
  description:
    "Evaluates one model on one suite and writes a signed result and its samples to <out>/<org>/<model>/<suite>/<run>.json. Finished items are journaled under $BENCH_HOME/journals: after a crash or Ctrl-C, the same command resumes where it stopped (the result says resumed: true).",
  positionals: [
    { name: "manifest", required: true, help: "model manifest, models/<org>/<name>.yaml" },
  ],
  options: {
    suite: {
      type: "string",
      value: "id|path",
      required: true,
      help: "suite id from suites/, or a suite.yaml",
      parse: nonEmpty,
    },
    limit: {
      type: "string",
      value: "n",
      defaultText: "all",
      help: "only the first n items of each task (the result says complete: false)",
      parse: integer(1, 2 ** 31 - 1),
    },
    subset: {
      type: "string",
      value: "name",
      env: "BENCH_SUBSET",
      default: "full" as const,
      help: "full runs every item; quick runs the suite's seeded quick subset (its $.quick: the same items every time; the result says complete: false)",
      parse: oneOf("a subset", { full: "full", quick: "quick" } as const),
    },
    threads: {
      type: "string",
      value: "n",
      env: "BENCH_THREADS",
      default: defaultThreads,
      defaultText: "half the cores, ≥ 1",
      help: "CPU threads for llama.cpp, at most the number of logical cores (1 is fastest on 2 cores)",
      parse: integer(1, availableParallelism, (n) => `the ${n} logical cores of this machine`),
    },
    parallel: {
      type: "string",
      value: "n",
      env: "BENCH_PARALLEL",
      default: 1,
      help: "items in flight, batched into one forward pass (1..256, within the model's context); above 1 results are not bit-for-bit reproducible (log-likelihoods differ in the last digits with batch composition) and the journal key includes it",
      parse: integer(1, 256),
    },
    gpu: {
      type: "string",
      value: "mode",
      env: "BENCH_GPU",
      default: false,
      help: `GPU to offload to: ${Object.keys(gpuModes).join(", ")}; false runs on the CPU (prebuilt binaries only)`,
      parse: oneOf("a GPU mode", gpuModes),
    },
    judge: {
      type: "string",
      value: "manifest",
      help: "judge every judge task with this model manifest instead of the judge the suite declares; recorded in the result (config.judge) and the journal's key",
      parse: nonEmpty,
    },
    out: {
      type: "string",
      value: "dir",
      default: "results",
      help: "where results are written",
      parse: nonEmpty,
    },
    key: {
      type: "string",
      value: "file",
      relatedEnv: signingKeyEnv,
      defaultText: "local key",
      help: "Ed25519 PEM private key to sign with; without it and BENCH_SIGNING_KEY, a local key in $BENCH_HOME/keys, marked untrusted",
      parse: keyFile,
    },
    ...metricsOptions,
    json: { type: "boolean", help: "machine-readable summary on stdout" },
  },
  environment: [
    { name: "BENCH_MIRROR", help: "folder searched by file name and sha256 before any download" },
    { name: "BENCH_OFFLINE", value: "1", help: "never download" },
    { name: "BENCH_CACHE", default: "$BENCH_HOME/cache", help: "content-addressed artifact cache" },
    { name: "BENCH_HOME", default: "~/.bench", help: "local signing key and run journals" },
  ],
  example: "bench eval models/bench/tiny-random-llama.yaml --suite smoke",
});

export const loadSpec = defineCommand({
  name: "load",
  summary: "load-test a model (an OpenAI-compatible server) and write a signed result",
  description:
    "Sends generated prompts to the model under a load profile (GuideLLM's rate types: synchronous, concurrent virtual users in a closed loop, throughput, constant or Poisson arrivals in an open loop with coordinated omission corrected) until --requests or --duration, and writes a signed result to <out>/<org>/<model>/load/<run>.json: TTFT, ITL, TPOT and end-to-end latency with percentiles, tokens and requests per second, goodput under the SLOs given, every request counted (succeeded, failed by cause, cut short), a time series, and each request's timing in the samples file. Up to 100,000 virtual users from one process.",
  positionals: [
    {
      name: "manifest",
      required: true,
      help: "model manifest, models/<org>/<name>.yaml (backend openai for a server)",
    },
  ],
  options: {
    profile: {
      type: "string",
      value: "type",
      default: "concurrent" as const,
      help: "synchronous, concurrent (--users in a closed loop), throughput (--users always busy), constant or poisson (--rate in an open loop)",
      parse: oneOf("a load profile", {
        synchronous: "synchronous",
        concurrent: "concurrent",
        throughput: "throughput",
        constant: "constant",
        poisson: "poisson",
      } as const),
    },
    users: {
      type: "string",
      value: "n",
      default: 10,
      help: "virtual users (concurrent) or requests kept in flight (throughput), 1..100000",
      parse: integer(1, 100_000),
    },
    rate: {
      type: "string",
      value: "req/s",
      help: "requests per second of an open loop (constant, poisson)",
      parse: decimal(0, 1_000_000, { exclusiveMin: true }),
    },
    burstiness: {
      type: "string",
      value: "k",
      default: 1,
      help: "poisson: gamma shape of the gaps (vLLM's --burstiness): 1 Poisson, below 1 burstier",
      parse: decimal(0, 100, { exclusiveMin: true }),
    },
    seed: {
      type: "string",
      value: "n",
      default: 1234,
      help: "poisson: the arrival schedule's seed",
      parse: integer(0, 4_294_967_295),
    },
    requests: {
      type: "string",
      value: "n",
      help: "stop after this many requests",
      parse: integer(1, 10_000_000),
    },
    duration: {
      type: "string",
      value: "seconds",
      help: "stop after this long (requests in flight are cut short and counted apart)",
      parse: decimal(0, 86_400, { exclusiveMin: true }),
    },
    "max-error-rate": {
      type: "string",
      value: "share",
      help: "stop once this share of finished requests failed (after 10)",
      parse: decimal(0, 1),
    },
    "ramp-up": {
      type: "string",
      value: "seconds",
      help: "closed loop: start the users evenly over this time",
      parse: decimal(0, 3600),
    },
    "think-time": {
      type: "string",
      value: "ms",
      help: "concurrent: a user's pause between its requests",
      parse: integer(0, 3_600_000),
    },
    "max-in-flight": {
      type: "string",
      value: "n",
      help: "open loop: the most requests in flight; later arrivals wait, and their wait counts",
      parse: integer(1, 100_000),
    },
    "prompt-tokens": {
      type: "string",
      value: "n",
      default: 128,
      help: "prompt length in tokens (seeded words, a different prompt for every request)",
      parse: integer(1, 1_048_576),
    },
    "output-tokens": {
      type: "string",
      value: "n",
      default: 128,
      help: "tokens generated per request (ignore_eos asked where the server allows)",
      parse: integer(1, 1_048_576),
    },
    warmup: {
      type: "string",
      value: "n",
      default: 1,
      help: "requests sent before the test, left out of its figures",
      parse: integer(0, 1000),
    },
    "slo-ttft-ms": {
      type: "string",
      value: "ms",
      help: "goodput: the most time to first token a request may take",
      parse: decimal(0, 3_600_000, { exclusiveMin: true }),
    },
    "slo-tpot-ms": {
      type: "string",
      value: "ms",
      help: "goodput: the most time per output token",
      parse: decimal(0, 3_600_000, { exclusiveMin: true }),
    },
    "slo-e2e-ms": {
      type: "string",
      value: "ms",
      help: "goodput: the most end-to-end latency",
      parse: decimal(0, 86_400_000, { exclusiveMin: true }),
    },
    threads: evalSpec.options.threads,
    parallel: {
      ...evalSpec.options.parallel,
      help: "sequences an in-process model (gguf) serves at once; a served model's server decides its own",
    },
    gpu: evalSpec.options.gpu,
    out: evalSpec.options.out,
    key: evalSpec.options.key,
    ...metricsOptions,
    json: { type: "boolean", help: "print the load figures as JSON on stdout" },
  },
  environment: [
    { name: "BENCH_MIRROR", help: "folder searched by file name and sha256 before any download" },
    { name: "BENCH_OFFLINE", value: "1", help: "never download" },
    { name: "BENCH_HOME", default: "~/.bench", help: "local signing key" },
  ],
  example:
    "bench load models/acme/served.yaml --profile poisson --rate 20 --requests 2000 --metrics-port 9464",
});

export const validateSpec = defineCommand({
  name: "validate",
  summary: "check manifests and suites against schemas/",
  description:
    "Checks model manifests (*.yaml under models/) and suites (suite.yaml) against schemas/ and the registries, and lists every problem as file: json-path: problem (expected …).",
  positionals: [
    { name: "paths", variadic: true, help: "files or folders (default: models/ and suites/)" },
  ],
  options: {
    json: { type: "boolean", help: "print {file, kind, ok, problems[]} per file as JSON" },
  },
  example: "bench validate models/karpathy/stories260K.yaml",
});

export const verifySpec = defineCommand({
  name: "verify",
  summary: "check result signatures and the trust list",
  description:
    "Verifies signed result documents: strict JSON (no repeated keys), schema, canonical base64 key and signature, ids that match the path <results>/<org>/<model>/<suite>/<run>.json, the Ed25519 signature over the RFC 8785 canonical form, the samples digest, and the signer against the trust list. Exits non-zero, naming the file and field, on any tampering or on a signer missing from the trust list; symbolic links and special files are skipped with the reason.",
  positionals: [{ name: "paths", variadic: true, help: "files or folders (default: results/)" }],
  options: {
    trust: {
      type: "string",
      value: "file",
      defaultText: "<results>/trusted-keys.json",
      help: "trust list",
      parse: nonEmpty,
    },
    "allow-untrusted": {
      type: "boolean",
      help: "accept valid signatures by keys outside the trust list (e.g. local runs)",
    },
    json: {
      type: "boolean",
      help: "print {file, status, code, problems[], signer} per file as JSON",
    },
  },
  example: "bench verify results/ --allow-untrusted",
});

export const compareSpec = defineCommand({
  name: "compare",
  summary: "per-task deltas between two results, with paired tests",
  description:
    "Compares two results of the same suite on the same items: per task and metric, the value of each (over the items that ran in both), the delta b − a with its 95% paired bootstrap interval, and a paired test: McNemar's exact test for binary item scores, the paired bootstrap otherwise. Items that failed in either run are left out of the pairing and counted. Then the speed and memory figures both runs measured (tokens per second, peak memory, each speed run's latency percentiles and rates), b / a, and how the models relate when a manifest's variant says so (a quantisation beside its base or its siblings). Both results must have valid signatures (untrusted signers are allowed and marked); it refuses results of different suite versions, or of tasks whose dataset, prompt digest or item indices differ.",
  positionals: [
    { name: "a", required: true, help: "result document (the baseline)" },
    { name: "b", required: true, help: "result document compared with it" },
  ],
  options: {
    trust: {
      type: "string",
      value: "file",
      defaultText: "<results>/trusted-keys.json",
      help: "trust list that marks each signer trusted or untrusted",
      parse: nonEmpty,
    },
    iterations: {
      type: "string",
      value: "n",
      default: 1000,
      help: "bootstrap resamples for the intervals and the paired bootstrap test (100..100000)",
      parse: integer(100, 100_000),
    },
    json: { type: "boolean", help: "print the comparison as JSON" },
  },
  example:
    "bench compare results/acme/a/smoke/20260101T000000Z-1.json results/acme/b/smoke/20260102T000000Z-2.json",
});

export const keySpec = defineCommand({
  name: "key",
  summary: "print the signing key's trust-list entry",
  description:
    "Prints the public half of the signing key that bench eval would use, as an entry for results/trusted-keys.json. Creates the local key ($BENCH_HOME/keys) if there is none yet. The private key is never printed.",
  positionals: [],
  options: {
    owner: {
      type: "string",
      value: "name",
      defaultText: "the signer kind",
      help: "who the key belongs to",
      parse: nonEmpty,
    },
    key: {
      type: "string",
      value: "file",
      relatedEnv: signingKeyEnv,
      defaultText: "the key bench eval uses",
      help: "describe this Ed25519 PEM private key instead",
      parse: keyFile,
    },
  },
  example: 'bench key --owner "Your Name"',
});

/** Every command, in the order of the top-level usage. */
export const commandSpecs = {
  validate: validateSpec,
  eval: evalSpec,
  load: loadSpec,
  verify: verifySpec,
  compare: compareSpec,
  key: keySpec,
} as const;

export type CommandName = keyof typeof commandSpecs;

/** Accepted before or after the command. */
export const globalOptions = {
  debug: {
    type: "boolean",
    env: "BENCH_DEBUG",
    help: "print the stack and cause chain of any error",
    parse: switchValue,
  },
} as const;

/** Given to every command; not listed in the README table. */
export const helpOption = { type: "boolean", short: "h", help: "show this help" } as const;
