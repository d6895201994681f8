/**
 * Speed figures of generation requests, with the definitions of vLLM's `bench serve`
 * (vllm/benchmarks/serve.py, `calculate_metrics`) and GuideLLM, which differ in names:
 *
 * - TTFT: from sending the request (an open loop: from when it was scheduled) to the first
 *   streamed token.
 * - ITL (vLLM): every gap between consecutive streamed chunks (a chunk is usually one token), one
 *   value per gap, pooled over requests.
 * - TPOT (vLLM) = GuideLLM's "inter-token latency": per request, (end-to-end − TTFT) / (output
 *   tokens − 1); requests with one output token have none.
 * - End-to-end latency: from sending the request to its last byte.
 *
 * Every figure carries its unit and direction here, once; results and the site read them from
 * this catalogue. Nothing here measures: it summarises what the runner timed.
 */

import { mean, quantileSorted } from "./stats.ts";

export type FigureUnit = "ms" | "tokens/s" | "requests/s" | "tokens" | "requests";

export interface FigureSpec {
  unit: FigureUnit;
  higherIsBetter: boolean;
  description: string;
}

export const figureCatalogue = {
  ttft_ms: {
    unit: "ms",
    higherIsBetter: false,
    description: "Time to first token: from sending a request to receiving its first token.",
  },
  itl_ms: {
    unit: "ms",
    higherIsBetter: false,
    description:
      "Inter-token latency as vLLM defines it: each gap between consecutive streamed tokens after the first, pooled over requests.",
  },
  tpot_ms: {
    unit: "ms",
    higherIsBetter: false,
    description:
      "Time per output token after the first, per request: (end-to-end latency − TTFT) / (output tokens − 1); vLLM's TPOT, GuideLLM's inter-token latency.",
  },
  e2e_latency_ms: {
    unit: "ms",
    higherIsBetter: false,
    description: "End-to-end latency: from sending a request to receiving its last token.",
  },
  output_tokens_per_second_per_request: {
    unit: "tokens/s",
    higherIsBetter: true,
    description: "Per request: output tokens divided by its end-to-end latency.",
  },
  prompt_tokens_per_second_per_request: {
    unit: "tokens/s",
    higherIsBetter: true,
    description:
      "Per request: prompt tokens divided by its TTFT (prompt processing speed, queueing included).",
  },
  output_throughput: {
    unit: "tokens/s",
    higherIsBetter: true,
    description: "All output tokens of successful requests divided by the run's duration.",
  },
  total_token_throughput: {
    unit: "tokens/s",
    higherIsBetter: true,
    description:
      "All prompt and output tokens of successful requests divided by the run's duration.",
  },
  request_throughput: {
    unit: "requests/s",
    higherIsBetter: true,
    description: "Successful requests divided by the run's duration.",
  },
  goodput: {
    unit: "requests/s",
    higherIsBetter: true,
    description:
      "Successful requests that met every service-level objective (TTFT, TPOT, end-to-end) divided by the run's duration, as vLLM's --goodput and DistServe define it.",
  },
} as const satisfies Record<string, FigureSpec>;

export type FigureId = keyof typeof figureCatalogue;

/**
 * The p-th percentile (0–100) of `values` by linear interpolation between closest ranks, numpy's
 * default (`np.percentile`, method "linear"), which vLLM uses. Undefined for no values.
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  return sortedPercentile(
    [...values].sort((a, b) => a - b),
    p,
  );
}

/** `percentile` of values already sorted ascending (stats.ts's numpy-linear quantile). */
function sortedPercentile(sorted: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0..100`);
  return quantileSorted(sorted, p / 100);
}

/** A distribution's summary: what every latency figure reports. */
export interface Distribution {
  count: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(values: readonly number[]): Distribution | undefined {
  if (values.length === 0) return undefined;
  // Sorted once; no spread into Math.min/max, which fails on very long arrays.
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sortedPercentile(sorted, p);
  return {
    count: sorted.length,
    mean: mean(sorted),
    min: sorted[0] as number,
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    max: sorted[sorted.length - 1] as number,
  };
}

/** What the runner timed of one request, in milliseconds from a common origin. */
export interface RequestTiming {
  /** When the request was sent (for open-loop runs: when it was scheduled to be sent). */
  startMs: number;
  /**
   * Arrival of each streamed chunk (a chunk is usually one token); the first is the TTFT. Plain
   * numbers, 8 bytes each: a long run keeps one per token.
   */
  chunkAtMs: readonly number[];
  endMs: number;
  promptTokens: number;
  outputTokens: number;
  ok: boolean;
  /** Why it failed (an error code or HTTP status); absent when ok. */
  error?: string;
  /** Cut short by the run's stop rule (its duration): counted apart, neither ok nor failed. */
  incomplete?: true;
  /**
   * The server (or engine) did not count this request's tokens: `promptTokens` is 0 (unknown) or
   * `outputTokens` an estimate. Such a request's tokens cannot be priced.
   */
  tokensUncounted?: true;
}

/** Per-request figures of a successful request; undefined fields cannot be defined for it. */
export interface RequestFigures {
  ttftMs?: number;
  tpotMs?: number;
  e2eMs: number;
  /** Gaps between consecutive streamed chunks. */
  itlMs: number[];
}

/** Time to the first streamed chunk; undefined when none came. */
export function ttftOf(timing: RequestTiming): number | undefined {
  const first = timing.chunkAtMs[0];
  return first === undefined ? undefined : first - timing.startMs;
}

export function requestFigures(timing: RequestTiming): RequestFigures {
  const e2eMs = timing.endMs - timing.startMs;
  const chunks = timing.chunkAtMs;
  const ttftMs = ttftOf(timing);
  const itlMs: number[] = [];
  // vLLM's endpoint_request_func.py: one gap per streamed chunk after the first, whatever the
  // number of tokens the chunk carries.
  for (let i = 1; i < chunks.length; i++) {
    itlMs.push((chunks[i] as number) - (chunks[i - 1] as number));
  }
  const tpotMs =
    ttftMs !== undefined && timing.outputTokens > 1
      ? (e2eMs - ttftMs) / (timing.outputTokens - 1)
      : undefined;
  return {
    ...(ttftMs === undefined ? {} : { ttftMs }),
    ...(tpotMs === undefined ? {} : { tpotMs }),
    e2eMs,
    itlMs,
  };
}

/** Limits a request must meet to count toward goodput; an absent limit is not checked. */
export interface Slo {
  ttftMs?: number;
  tpotMs?: number;
  e2eMs?: number;
}

/** Whether a successful request met every limit (vLLM: TPOT of a one-token request counts as met). */
export function meetsSlo(figures: RequestFigures, slo: Slo): boolean {
  if (slo.ttftMs !== undefined && !(figures.ttftMs !== undefined && figures.ttftMs <= slo.ttftMs))
    return false;
  if (slo.tpotMs !== undefined && figures.tpotMs !== undefined && figures.tpotMs > slo.tpotMs)
    return false;
  if (slo.e2eMs !== undefined && figures.e2eMs > slo.e2eMs) return false;
  return true;
}

/** The figures of a run: distributions over requests and rates over its duration. */
export interface RunFigures {
  durationSeconds: number;
  requests: {
    sent: number;
    succeeded: number;
    failed: number;
    /** In flight when the run's duration ended, and cut short. */
    incomplete: number;
    errors: Record<string, number>;
  };
  tokens: { prompt: number; output: number };
  ttft_ms?: Distribution;
  itl_ms?: Distribution;
  tpot_ms?: Distribution;
  e2e_latency_ms?: Distribution;
  output_tokens_per_second_per_request?: Distribution;
  prompt_tokens_per_second_per_request?: Distribution;
  output_throughput: number;
  total_token_throughput: number;
  request_throughput: number;
  /** Present when SLOs were given. */
  goodput?: { value: number; slo: Slo; met: number };
}

/**
 * The run's figures from its requests. `durationSeconds` is the benchmark's duration (vLLM: from
 * the first request sent to the last completed); rates divide by it.
 */
export function runFigures(
  timings: readonly RequestTiming[],
  durationSeconds: number,
  slo?: Slo,
): RunFigures {
  const ok = timings.filter((t) => t.ok);
  const incomplete = timings.filter((t) => t.incomplete).length;
  const errors: Record<string, number> = {};
  for (const t of timings) {
    if (!t.ok && !t.incomplete)
      errors[t.error ?? "unknown"] = (errors[t.error ?? "unknown"] ?? 0) + 1;
  }
  const figures = ok.map((t) => ({ timing: t, figures: requestFigures(t) }));
  const defined = (values: (number | undefined)[]) =>
    values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  const prompt = ok.reduce((s, t) => s + t.promptTokens, 0);
  const output = ok.reduce((s, t) => s + t.outputTokens, 0);
  const rate = (n: number) => (durationSeconds > 0 ? n / durationSeconds : 0);
  const put = <K extends string>(key: K, values: number[]) => {
    const d = summarize(values);
    return d ? ({ [key]: d } as Record<K, Distribution>) : {};
  };
  const met = slo ? figures.filter((f) => meetsSlo(f.figures, slo)).length : 0;
  return {
    durationSeconds,
    requests: {
      sent: timings.length,
      succeeded: ok.length,
      failed: timings.length - ok.length - incomplete,
      incomplete,
      errors,
    },
    tokens: { prompt, output },
    ...put("ttft_ms", defined(figures.map((f) => f.figures.ttftMs))),
    ...put(
      "itl_ms",
      figures.flatMap((f) => f.figures.itlMs),
    ),
    ...put("tpot_ms", defined(figures.map((f) => f.figures.tpotMs))),
    ...put(
      "e2e_latency_ms",
      figures.map((f) => f.figures.e2eMs),
    ),
    ...put(
      "output_tokens_per_second_per_request",
      defined(
        figures.map((f) =>
          f.figures.e2eMs > 0 ? f.timing.outputTokens / (f.figures.e2eMs / 1000) : undefined,
        ),
      ),
    ),
    ...put(
      "prompt_tokens_per_second_per_request",
      defined(
        figures.map((f) =>
          f.figures.ttftMs && f.figures.ttftMs > 0
            ? f.timing.promptTokens / (f.figures.ttftMs / 1000)
            : undefined,
        ),
      ),
    ),
    output_throughput: rate(output),
    total_token_throughput: rate(prompt + output),
    request_throughput: rate(ok.length),
    ...(slo ? { goodput: { value: rate(met), slo, met } } : {}),
  };
}
