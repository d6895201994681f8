import { resolve } from "node:path";
import { BenchError, isBenchError } from "../../errors/index.ts";
import { createProgress, silentProgress } from "../../runner/progress.ts";
import { type EvalOutcome, runEvaluation } from "../../runner/run-eval.ts";
import { parseCommandLine } from "../args.ts";
import { checkFolder } from "../define.ts";
import { commandHelp } from "../help.ts";
import { metricsRequest, evalSpec as spec } from "../options.ts";

const interruptSignals = ["SIGINT", "SIGTERM"] as const;

/**
 * Runs `work` with an AbortSignal that the first SIGINT/SIGTERM aborts (the runner stops after
 * the items in flight and journals them); a second signal exits 130 at once. The handlers are
 * removed when `work` settles.
 */
export async function interruptible<T>(
  stderr: NodeJS.WritableStream,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    stderr.write(
      `\nbench eval: ${signal}: stopping after the items in flight (again to quit now)\n`,
    );
    // The runner adds how many items are journaled to this message when it stops.
    controller.abort(
      new BenchError("E_INTERRUPTED", `bench eval: interrupted by ${signal}`, {
        hint: "finished items are journaled under $BENCH_HOME/journals: run the same command again to resume",
      }),
    );
  };
  const handlers = interruptSignals.map((signal) => [signal, () => onSignal(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  try {
    return await work(controller.signal);
  } catch (error) {
    // The runner reports an interruption as E_INTERRUPTED; anything else thrown after the abort
    // (an engine's own AbortError) is still the interruption, not a bug.
    if (controller.signal.aborted && !isBenchError(error)) throw controller.signal.reason;
    throw error;
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}

function printSummary(outcome: EvalOutcome, json: boolean, stdout: NodeJS.WritableStream): void {
  const { document } = outcome;
  if (json) {
    stdout.write(
      `${JSON.stringify({ documentPath: outcome.documentPath, samplesPath: outcome.samplesPath, run: document.run, scores: document.scores, performance: document.performance, signature: { keyId: document.signature?.keyId, signer: document.signature?.signer } }, null, 2)}\n`,
    );
    return;
  }
  for (const s of document.scores) {
    const value = s.value === null ? "n/a" : s.value.toFixed(4);
    const stderr = s.stderr === null ? "" : ` ± ${s.stderr.toFixed(4)}`;
    stdout.write(
      `${s.task} ${s.metric} ${value}${stderr} (n=${s.n}${s.errors ? `, ${s.errors} errors` : ""})\n`,
    );
  }
  const rate = document.performance.measured.itemsPerSecond;
  if (rate !== undefined)
    stdout.write(
      `${rate.toFixed(1)} items/s, ${((1 - (document.performance.measured.engineShare ?? 0)) * 100).toFixed(1)}% of eval time outside the engine\n`,
    );
  stdout.write(`signed by ${document.signature?.signer.kind} key ${document.signature?.keyId}\n`);
}

export async function evalCommand(
  argv: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WriteStream },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const line = parseCommandLine(spec, argv, env);
  if (line.help) {
    io.stdout.write(commandHelp(spec));
    return 0;
  }
  const { values, positionals } = line;
  // Journals, keys and the cache live below these: a file in the way fails now, with its name.
  for (const name of ["BENCH_HOME", "BENCH_CACHE"] as const) {
    const value = env[name];
    if (value) checkFolder({ kind: "env", name }, value);
  }
  checkFolder({ kind: "flag", name: "--out" }, values.out);
  const outcome = await interruptible(io.stderr, (signal) =>
    runEvaluation({
      manifest: positionals[0] as string,
      suite: values.suite,
      ...(values.limit === undefined ? {} : { limit: values.limit }),
      subset: values.subset,
      threads: values.threads,
      parallel: values.parallel,
      gpu: values.gpu,
      ...(values.judge === undefined ? {} : { judge: values.judge }),
      outDir: resolve(values.out),
      ...(values.key === undefined ? {} : { keyFile: values.key }),
      progress: values.json ? silentProgress : createProgress(io.stderr),
      ...metricsRequest(values, io.stderr),
      signal,
      env,
    }),
  );
  printSummary(outcome, values.json, io.stdout);
  return 0;
}
