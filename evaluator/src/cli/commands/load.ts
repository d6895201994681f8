import { resolve } from "node:path";
import { BenchError } from "../../errors/index.ts";
import type { PerfRun } from "../../generated/suite.ts";
import { createProgress, silentProgress } from "../../runner/progress.ts";
import { runLoadTest } from "../../runner/run-load.ts";
import { parseCommandLine } from "../args.ts";
import { checkFolder } from "../define.ts";
import { commandHelp } from "../help.ts";
import { metricsRequest, loadSpec as spec } from "../options.ts";
import { interruptible } from "./eval.ts";

type Values = import("../define.ts").Values<typeof spec>;

/** The load test the flags describe, checked as a whole. */
export function loadRunFrom(values: Values): PerfRun {
  const open = values.profile === "constant" || values.profile === "poisson";
  if (open && values.rate === undefined) {
    throw new BenchError("E_USAGE", `--rate: the ${values.profile} profile needs a rate`, {
      hint: "e.g. --rate 10 (requests per second)",
    });
  }
  if (!open && values.rate !== undefined) {
    throw new BenchError("E_USAGE", `--rate: the ${values.profile} profile sends no fixed rate`, {
      hint: "use --profile constant or poisson, or leave --rate out",
    });
  }
  if (values.requests === undefined && values.duration === undefined) {
    throw new BenchError("E_USAGE", "bench load: say when to stop: --requests or --duration", {
      hint: "e.g. --requests 1000 or --duration 60",
    });
  }
  const profile: PerfRun["profile"] =
    values.profile === "synchronous"
      ? { type: "synchronous" }
      : values.profile === "concurrent"
        ? {
            type: "concurrent",
            streams: values.users,
            ...(values["think-time"] === undefined ? {} : { thinkTimeMs: values["think-time"] }),
          }
        : values.profile === "throughput"
          ? { type: "throughput", streams: values.users }
          : values.profile === "constant"
            ? { type: "constant", rate: values.rate as number }
            : {
                type: "poisson",
                rate: values.rate as number,
                seed: values.seed,
                burstiness: values.burstiness,
              };
  const slo = {
    ...(values["slo-ttft-ms"] === undefined ? {} : { ttftMs: values["slo-ttft-ms"] }),
    ...(values["slo-tpot-ms"] === undefined ? {} : { tpotMs: values["slo-tpot-ms"] }),
    ...(values["slo-e2e-ms"] === undefined ? {} : { e2eMs: values["slo-e2e-ms"] }),
  };
  return {
    id: `load-${values.profile}`,
    promptTokens: values["prompt-tokens"],
    outputTokens: values["output-tokens"],
    profile,
    stop: {
      ...(values.requests === undefined ? {} : { requests: values.requests }),
      ...(values.duration === undefined ? {} : { durationSeconds: values.duration }),
      ...(values["max-error-rate"] === undefined ? {} : { maxErrorRate: values["max-error-rate"] }),
    },
    warmup: values.warmup,
    ...(values["ramp-up"] === undefined ? {} : { rampUpSeconds: values["ramp-up"] }),
    ...(values["max-in-flight"] === undefined ? {} : { maxInFlight: values["max-in-flight"] }),
    ...(Object.keys(slo).length > 0 ? { slo } : {}),
  };
}

export async function loadCommand(
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
  const run = loadRunFrom(values);
  checkFolder({ kind: "flag", name: "--out" }, values.out);
  const outcome = await interruptible(io.stderr, (signal) =>
    runLoadTest({
      manifest: positionals[0] as string,
      run,
      threads: values.threads,
      parallel: values.parallel,
      gpu: values.gpu,
      outDir: resolve(values.out),
      ...(values.key === undefined ? {} : { keyFile: values.key }),
      ...metricsRequest(values, io.stderr),
      progress: values.json ? silentProgress : createProgress(io.stderr),
      signal,
      env,
    }),
  );
  const load = outcome.document.performance.loads?.[0];
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ documentPath: outcome.documentPath, load }, null, 2)}\n`);
    return 0;
  }
  if (load) {
    const r = load.requests;
    io.stdout.write(
      `requests: ${r.sent} sent, ${r.succeeded} ok, ${r.failed} failed${
        Object.keys(r.errors).length
          ? ` (${Object.entries(r.errors)
              .map(([k, v]) => `${k}: ${v}`)
              .join(", ")})`
          : ""
      }, ${r.incomplete} cut short\n`,
    );
    for (const id of ["ttft_ms", "tpot_ms", "itl_ms", "e2e_latency_ms"]) {
      const d = load.latency[id];
      if (d)
        io.stdout.write(
          `${id}: mean ${d.mean.toFixed(1)}, p50 ${d.p50.toFixed(1)}, p90 ${d.p90.toFixed(1)}, p99 ${d.p99.toFixed(1)}, max ${d.max.toFixed(1)}\n`,
        );
    }
    for (const [id, t] of Object.entries(load.throughput))
      if (t) io.stdout.write(`${id}: ${t.value.toFixed(2)} ${t.unit}\n`);
    if (load.goodput) io.stdout.write(`goodput: ${load.goodput.value.toFixed(2)} requests/s\n`);
  }
  io.stdout.write(`wrote ${outcome.documentPath}\n`);
  return 0;
}
