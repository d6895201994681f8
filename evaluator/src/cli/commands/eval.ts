import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { LoadOptions } from "../../backends/types.ts";
import { BenchError } from "../../errors/index.ts";
import { createProgress, silentProgress } from "../../runner/progress.ts";
import { runEvaluation } from "../../runner/run-eval.ts";
import { parse, positiveInt } from "../args.ts";

export const evalHelp = `bench eval <manifest> --suite <id|path> [options]

Evaluates one model on one suite and writes a signed result and its samples to
<out>/<org>/<model>/<suite>/<run>.json. Finished items are journaled under
$BENCH_HOME/journals: run the same command again to resume an interrupted run.

Options:
  --suite <id|path>   suite id from suites/, or a suite.yaml (required)
  --limit <n>         evaluate only the first n items of each task
  --threads <n>       CPU threads (default: half the cores, at least 1; $BENCH_THREADS)
  --parallel <n>      items in flight at once, batched by the backend (default 1; $BENCH_PARALLEL);
                      above 1, log-likelihoods may differ in the last digits between runs
  --gpu <mode>        false | auto | cuda | vulkan | metal (default: false; $BENCH_GPU)
  --out <dir>         results folder (default: results)
  --key <file>        Ed25519 PEM private key to sign with (default: $BENCH_SIGNING_KEY,
                      else a local key in $BENCH_HOME/keys, marked untrusted)
  --json              print the result summary as JSON on stdout
  -h, --help          show this help

Environment: BENCH_MIRROR (offline mirror folder), BENCH_OFFLINE=1 (never download),
BENCH_CACHE (artifact cache), BENCH_HOME (keys and journals, default ~/.bench).`;

const gpuModes = ["false", "auto", "cuda", "vulkan", "metal"] as const;

export function defaultThreads(): number {
  return Math.max(1, Math.floor(availableParallelism() / 2));
}

export async function evalCommand(
  argv: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WriteStream },
): Promise<number> {
  const { values, positionals } = parse("eval", argv, {
    suite: { type: "string" },
    limit: { type: "string" },
    threads: { type: "string" },
    parallel: { type: "string" },
    gpu: { type: "string" },
    out: { type: "string" },
    key: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout.write(`${evalHelp}\n`);
    return 0;
  }
  const manifest = positionals[0];
  if (!manifest || positionals.length > 1) {
    throw new BenchError(
      "E_USAGE",
      `bench eval: expected one manifest path, got ${positionals.length}`,
      { hint: "bench eval models/<org>/<name>.yaml --suite smoke" },
    );
  }
  if (!values.suite)
    throw new BenchError("E_USAGE", "bench eval: --suite is required", {
      hint: "pass --suite smoke, or the path of a suite.yaml",
    });
  const gpuText = (values.gpu as string | undefined) ?? process.env.BENCH_GPU ?? "false";
  if (!(gpuModes as readonly string[]).includes(gpuText)) {
    throw new BenchError(
      "E_USAGE",
      `--gpu: ${JSON.stringify(gpuText)} is not a GPU mode (expected one of: ${gpuModes.join(", ")})`,
    );
  }
  const threads =
    positiveInt("--threads", values.threads as string | undefined) ??
    positiveInt("BENCH_THREADS", process.env.BENCH_THREADS) ??
    defaultThreads();
  const limit = positiveInt("--limit", values.limit as string | undefined);
  const parallel =
    positiveInt("--parallel", values.parallel as string | undefined) ??
    positiveInt("BENCH_PARALLEL", process.env.BENCH_PARALLEL) ??
    4;
  const outcome = await runEvaluation({
    manifest,
    suite: values.suite as string,
    ...(limit === undefined ? {} : { limit }),
    threads,
    parallel,
    gpu: (gpuText === "false" ? false : gpuText) as LoadOptions["gpu"],
    outDir: resolve((values.out as string | undefined) ?? "results"),
    ...(values.key ? { keyFile: values.key as string } : {}),
    progress: values.json ? silentProgress : createProgress(io.stderr),
  });
  const { document } = outcome;
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({ documentPath: outcome.documentPath, samplesPath: outcome.samplesPath, run: document.run, scores: document.scores, performance: document.performance, signature: { keyId: document.signature?.keyId, signer: document.signature?.signer } }, null, 2)}\n`,
    );
  } else {
    for (const s of document.scores) {
      const stderr = s.stderr === null ? "" : ` ± ${s.stderr.toFixed(4)}`;
      io.stdout.write(
        `${s.task} ${s.metric} ${s.value.toFixed(4)}${stderr} (n=${s.n}${s.errors ? `, ${s.errors} errors` : ""})\n`,
      );
    }
    const rate = document.performance.measured.itemsPerSecond;
    if (rate !== undefined)
      io.stdout.write(
        `${rate.toFixed(1)} items/s, ${((1 - (document.performance.measured.engineShare ?? 0)) * 100).toFixed(1)}% of eval time outside the engine\n`,
      );
    io.stdout.write(
      `signed by ${document.signature?.signer.kind} key ${document.signature?.keyId}\n`,
    );
  }
  return 0;
}
