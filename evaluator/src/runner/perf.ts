import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { type PushParts, pushParts } from "../backends/stream.ts";
import type { GenerateRequest, LoadedModel } from "../backends/types.ts";
import { BenchError } from "../errors/index.ts";
import type { ResultDocument } from "../generated/result.ts";
import type { PerfRun } from "../generated/suite.ts";
import { type LoadProfile, sweepRates } from "../pure/arrivals.ts";
import { costOrReason, type Pricing } from "../pure/cost.ts";
import { figureCatalogue, type RunFigures, runFigures } from "../pure/perf.ts";
import { below, mulberry32, seedFrom } from "../pure/random.ts";
import { runLoad } from "./load-gen.ts";

/** Plain words for synthetic prompts: common English, each one token in most vocabularies. */
const WORDS = (
  "the of and to in is you that it he was for on are as with his they at be this have from or " +
  "one had by word but not what all were we when your can said there use an each which she do " +
  "how their if will up other about out many then them these so some her would make like him " +
  "into time has look two more write go see number no way could people my than first water " +
  "been call who oil its now find long down day did get come made may part over new sound take " +
  "only little work know place year live me back give most very after thing our just name good"
).split(" ");

/**
 * A prompt of `tokens` tokens for request `index`: seeded words, different for every request (so
 * no request reuses another's cached prefix). With the model's tokenizer the length is exact (the
 * longest run of words that fits); without one, 4 characters count as a token.
 */
export function syntheticPrompt(
  index: number,
  tokens: number,
  seed: string,
  countTokens?: (text: string) => number,
): string {
  const random = mulberry32(seedFrom(seed, String(index)));
  const words: string[] = [];
  let length = 0;
  const target = countTokens ? tokens * 8 : tokens * 4;
  while (length < target) {
    const word = WORDS[below(random, WORDS.length)] as string;
    words.push(word);
    length += word.length + 1;
  }
  const text = (n: number) => words.slice(0, n).join(" ");
  if (!countTokens) return text(words.length).slice(0, tokens * 4);
  // The most words whose text is at most `tokens` tokens.
  let low = 0;
  let high = words.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (countTokens(text(mid)) <= tokens) low = mid;
    else high = mid - 1;
  }
  return text(low);
}

/** One distribution with its unit and direction, as a result stores it. */
type Figure = NonNullable<RunFigures["ttft_ms"]> & { unit: string; higherIsBetter: boolean };

/** The resources the run's process used, or why they were not measured. */
export interface ResourceFigures {
  measured: Record<string, number>;
  notMeasured: { metric: string; reason: string }[];
}

/** A speed run as the result records it (`performance.loads`). */
export type PerfResult = NonNullable<ResultDocument["performance"]["loads"]>[number];

/** The RAPL package energy counters (µJ) where Linux exposes them, or why not. */
function raplCounters(): { read(): number[]; ranges: number[] } | { reason: string } {
  const base = "/sys/class/powercap";
  let zones: string[];
  try {
    zones = readdirSync(base).filter((z) => /^intel-rapl:\d+$/.test(z));
  } catch (cause) {
    return {
      reason: `RAPL is not exposed on this machine (${base}: ${(cause as NodeJS.ErrnoException).code ?? "unreadable"})`,
    };
  }
  if (zones.length === 0)
    return { reason: `RAPL is not exposed on this machine (no package zone in ${base})` };
  try {
    const read = () =>
      zones.map((z) => Number(readFileSync(join(base, z, "energy_uj"), "utf8").trim()));
    const ranges = zones.map((z) =>
      Number(readFileSync(join(base, z, "max_energy_range_uj"), "utf8").trim()),
    );
    read();
    return { read, ranges };
  } catch (cause) {
    return {
      reason: `RAPL counters are not readable by this user (${(cause as NodeJS.ErrnoException).code ?? "error"}; they are root-only since Linux 5.10)`,
    };
  }
}

/** Samples the process's memory and CPU, and the GPU through nvidia-smi where there is one. */
class ResourceSampler {
  #peakRss = 0;
  #cpuStart = process.cpuUsage();
  #wallStart = performance.now();
  #timer: ReturnType<typeof setInterval>;
  #gpu: { memory: number[]; utilisation: number[]; power: number[]; times: number[] } = {
    memory: [],
    utilisation: [],
    power: [],
    times: [],
  };
  #gpuReason: string | undefined;
  #gpuPending = false;
  #rapl = raplCounters();
  #raplStart: number[] | undefined;

  readonly inProcess: boolean;
  readonly usesGpu: boolean;

  constructor(inProcess: boolean, usesGpu: boolean) {
    this.inProcess = inProcess;
    this.usesGpu = usesGpu;
    if ("read" in this.#rapl) this.#raplStart = this.#rapl.read();
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), 100);
    this.#timer.unref();
    if (!usesGpu) this.#gpuReason = "no GPU was used";
  }

  #ticks = 0;

  #sample() {
    this.#peakRss = Math.max(this.#peakRss, process.memoryUsage.rss());
    // nvidia-smi is a process: once a second, so that sampling does not load the CPU it measures.
    if (this.#ticks++ % 10 !== 0) return;
    if (this.usesGpu && this.#gpuReason === undefined && !this.#gpuPending) {
      this.#gpuPending = true;
      execFile(
        "nvidia-smi",
        ["--query-gpu=memory.used,utilization.gpu,power.draw", "--format=csv,noheader,nounits"],
        { timeout: 2000 },
        (error, stdout) => {
          this.#gpuPending = false;
          if (error) {
            this.#gpuReason = `nvidia-smi could not be read (${(error as NodeJS.ErrnoException).code ?? error.message})`;
            return;
          }
          const [memory, utilisation, power] = String(stdout)
            .split("\n")[0]
            ?.split(",")
            .map((v) => Number(v.trim())) ?? [Number.NaN];
          if (Number.isFinite(memory)) this.#gpu.memory.push((memory as number) * 1024 * 1024);
          if (Number.isFinite(utilisation)) this.#gpu.utilisation.push(utilisation as number);
          if (Number.isFinite(power)) {
            this.#gpu.power.push(power as number);
            this.#gpu.times.push(performance.now());
          }
        },
      );
    }
  }

  stop(outputTokens: number): ResourceFigures {
    clearInterval(this.#timer);
    this.#sample();
    const wallSeconds = (performance.now() - this.#wallStart) / 1000;
    const cpu = process.cpuUsage(this.#cpuStart);
    const measured: Record<string, number> = {};
    const notMeasured: ResourceFigures["notMeasured"] = [];
    if (this.inProcess) {
      measured.peakRssBytes = this.#peakRss;
      measured.cpuUtilisation =
        (cpu.user + cpu.system) / 1e6 / wallSeconds / availableParallelism();
    } else {
      for (const metric of ["peakRssBytes", "cpuUtilisation"]) {
        notMeasured.push({
          metric,
          reason: "served model: the server's process is not visible from here",
        });
      }
    }
    const g = this.#gpu;
    if (g.memory.length > 0) {
      measured.peakGpuMemoryBytes = g.memory.reduce((m, v) => Math.max(m, v), 0);
      measured.meanGpuUtilisation =
        g.utilisation.reduce((s, v) => s + v, 0) / g.utilisation.length / 100;
    } else {
      const reason = this.#gpuReason ?? "nvidia-smi gave no sample during the run";
      notMeasured.push({ metric: "peakGpuMemoryBytes", reason });
      notMeasured.push({ metric: "meanGpuUtilisation", reason });
    }
    if ("read" in this.#rapl && this.#raplStart) {
      // Package energy of the whole machine (every process), counters wrapping at their range.
      const end = this.#rapl.read();
      const ranges = this.#rapl.ranges;
      const start = this.#raplStart;
      const joules = end.reduce((sum, e, i) => {
        const d = e - (start[i] as number);
        return sum + (d >= 0 ? d : d + (ranges[i] as number)) / 1e6;
      }, 0);
      measured.cpuPackageEnergyJoules = joules;
      if (outputTokens > 0) measured.cpuPackageJoulesPerOutputToken = joules / outputTokens;
    } else {
      const reason = "reason" in this.#rapl ? this.#rapl.reason : "RAPL gave no first reading";
      notMeasured.push({ metric: "cpuPackageEnergyJoules", reason });
    }
    if (g.power.length > 1) {
      // Trapezoids over the power samples: joules over the sampled span.
      let joules = 0;
      for (let i = 1; i < g.power.length; i++) {
        const dt = ((g.times[i] as number) - (g.times[i - 1] as number)) / 1000;
        joules += (((g.power[i] as number) + (g.power[i - 1] as number)) / 2) * dt;
      }
      measured.gpuEnergyJoules = joules;
      if (outputTokens > 0) measured.gpuJoulesPerOutputToken = joules / outputTokens;
    } else {
      notMeasured.push({
        metric: "gpuEnergyJoules",
        reason: this.usesGpu
          ? (this.#gpuReason ?? "too few NVML power samples")
          : "no GPU was used, so there is no NVML power sensor to read",
      });
    }
    return { measured, notMeasured };
  }
}

/** The model's stream method, or E_CAPABILITY naming the run. */
function streamOf(model: LoadedModel, where: string): PushParts {
  const send = pushParts(model);
  if (!send) {
    throw new BenchError("E_CAPABILITY", `${where}: this backend cannot stream generation`);
  }
  return send;
}

const withUnits = (figures: RunFigures) => {
  const latency: Record<string, Figure> = {};
  for (const id of [
    "ttft_ms",
    "itl_ms",
    "tpot_ms",
    "e2e_latency_ms",
    "output_tokens_per_second_per_request",
    "prompt_tokens_per_second_per_request",
  ] as const) {
    const d = figures[id];
    const { unit, higherIsBetter } = figureCatalogue[id];
    if (d) latency[id] = { ...d, unit, higherIsBetter };
  }
  const throughput: PerfResult["throughput"] = {};
  for (const id of ["output_throughput", "total_token_throughput", "request_throughput"] as const) {
    throughput[id] = {
      // Rates of a run with no duration are 0 already (runFigures).
      value: figures[id],
      unit: figureCatalogue[id].unit,
      higherIsBetter: figureCatalogue[id].higherIsBetter,
    };
  }
  return { latency, throughput };
};

export interface PerfHooks {
  /** Each finished request, and the requests in flight (live metrics). */
  onFinished?: Parameters<typeof runLoad>[0]["onFinished"];
  onInFlight?: Parameters<typeof runLoad>[0]["onInFlight"];
  onProgress?(line: string): void;
  signal?: AbortSignal;
}

/** Runs one speed run (a sweep: its steps) against a loaded model. */
export async function runPerf(
  model: LoadedModel,
  run: PerfRun,
  context: { where: string; served: boolean; seed: string; pricing?: Pricing },
  hooks: PerfHooks = {},
): Promise<PerfResult[]> {
  const send = streamOf(model, context.where);
  const count = model.countTokens?.bind(model);
  /**
   * Request `i` of a step: its own seeded prompt, never one another step sent (a server's prefix
   * cache would otherwise serve the later steps). Speed runs do not retry: a failure is counted.
   */
  const requests =
    (step: string) =>
    (i: number): GenerateRequest => ({
      prompt: syntheticPrompt(i, run.promptTokens, `${context.seed}:${run.id}:${step}`, count),
      maxTokens: run.outputTokens,
      ignoreEos: true,
      noRetry: true,
    });
  // Warm-up: requests one at a time, left out of every figure.
  const warm = requests("warm-up");
  for (let w = 0; w < (run.warmup ?? 1); w++) {
    await send(warm(w), () => undefined, hooks.signal ?? new AbortController().signal);
  }
  const one = async (
    profile: Exclude<LoadProfile, { type: "sweep" }>,
    step?: string,
  ): Promise<PerfResult> => {
    hooks.onProgress?.(`${run.id}${step ? ` (${step})` : ""}: ${profile.type}`);
    const sampler = new ResourceSampler(!context.served, model.info.gpu.used);
    const result = await runLoad({
      profile,
      stop: run.stop,
      request: requests(step ?? "run"),
      send,
      ...(run.rampUpSeconds === undefined ? {} : { rampUpSeconds: run.rampUpSeconds }),
      ...(run.maxInFlight === undefined ? {} : { maxInFlight: run.maxInFlight }),
      ...(hooks.onFinished ? { onFinished: hooks.onFinished } : {}),
      ...(hooks.onInFlight ? { onInFlight: hooks.onInFlight } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    });
    const figures = runFigures(result.timings, result.durationSeconds, run.slo);
    const succeeded = figures.requests.succeeded;
    let uncounted = 0;
    for (const t of result.timings) if (t.ok && t.tokensUncounted) uncounted += 1;
    const priced = costOrReason(context.served, context.pricing, {
      promptTokens: figures.tokens.prompt,
      outputTokens: figures.tokens.output,
      requests: succeeded - uncounted,
      unreported: uncounted,
    });
    const resources = sampler.stop(figures.tokens.output);
    if ("reason" in priced) resources.notMeasured.push({ metric: "cost", reason: priced.reason });
    const { latency, throughput } = withUnits(figures);
    return {
      id: run.id,
      profile,
      ...(step ? { step } : {}),
      target: { promptTokens: run.promptTokens, outputTokens: run.outputTokens },
      stoppedBy: result.stoppedBy,
      peakInFlight: result.peakInFlight,
      requests: figures.requests,
      tokens: {
        ...figures.tokens,
        meanPrompt: succeeded > 0 ? figures.tokens.prompt / succeeded : null,
        meanOutput: succeeded > 0 ? figures.tokens.output / succeeded : null,
      },
      durationSeconds: result.durationSeconds,
      latency,
      throughput,
      ...(figures.goodput
        ? { goodput: { ...figures.goodput, slo: { ...figures.goodput.slo }, unit: "requests/s" } }
        : {}),
      ...("cost" in priced ? { cost: priced.cost } : {}),
      resources,
      timeSeries: result.timeSeries,
    };
  };
  const profile = run.profile;
  if (profile.type !== "sweep") {
    return [await one(profile as Exclude<LoadProfile, { type: "sweep" }>)];
  }
  // GuideLLM's sweep: synchronous, throughput, then constant rates between the two.
  const synchronous = await one({ type: "synchronous" }, "synchronous");
  if (synchronous.stoppedBy === "signal") return [synchronous];
  const throughput = await one({ type: "throughput", streams: profile.streams }, "throughput");
  if (throughput.stoppedBy === "signal") return [synchronous, throughput];
  const rates = sweepRates(
    synchronous.throughput.request_throughput?.value ?? 0,
    throughput.throughput.request_throughput?.value ?? 0,
    profile.steps,
  ).filter((r) => r > 0);
  const steps = [synchronous, throughput];
  for (const [k, rate] of rates.entries()) {
    const step = await one({ type: "constant", rate }, `constant ${k + 1} of ${rates.length}`);
    steps.push(step);
    if (step.stoppedBy === "signal") break;
  }
  return steps;
}
