import type { PushParts } from "../backends/stream.ts";
import type { GenerateRequest } from "../backends/types.ts";
import { isBenchError } from "../errors/index.ts";
import { arrivalTimes, type LoadProfile } from "../pure/arrivals.ts";
import type { RequestTiming } from "../pure/perf.ts";

/** When a load run stops: whichever limit comes first. */
export interface StopRule {
  /** Requests sent (warm-up excluded). */
  requests?: number;
  durationSeconds?: number;
  /** Stop once this share of finished requests failed, after at least `minRequests` finished. */
  maxErrorRate?: number;
  minRequests?: number;
}

/** One time-series point: what finished in the interval ending at `atSeconds`. */
export interface TimePoint {
  atSeconds: number;
  succeeded: number;
  failed: number;
  outputTokens: number;
  inFlight: number;
}

export interface LoadRun {
  timings: RequestTiming[];
  /** From the first request sent to the last one finished. */
  durationSeconds: number;
  timeSeries: TimePoint[];
  stoppedBy: "requests" | "duration" | "error-rate" | "signal";
  /** Open loop: the most requests in flight at once. */
  peakInFlight: number;
}

export interface LoadOptions {
  profile: Exclude<LoadProfile, { type: "sweep" }>;
  stop: StopRule;
  /** The request to send as request `i`. */
  request(i: number): GenerateRequest;
  /** Sends one request and pushes its answer's parts (`pushParts(model)`). */
  send: PushParts;
  /** Closed loop: start the streams evenly over this many seconds (default 0). */
  rampUpSeconds?: number;
  /** Open loop: the most requests in flight (default unbounded); later arrivals wait. */
  maxInFlight?: number;
  /** Called when each request finishes (live metrics). */
  onFinished?(timing: RequestTiming): void;
  /** Called when the number of requests in flight changes. */
  onInFlight?(n: number): void;
  /** Time-series interval (default 1 s). */
  intervalMs?: number;
  signal?: AbortSignal;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** A failure's cause as a short key: an error code, else the error's name. */
function causeOf(error: unknown): string {
  if (isBenchError(error)) {
    const status = /answered HTTP (\d{3})/.exec(error.message)?.[1];
    return status ? `http_${status}` : error.code;
  }
  const name = (error as Error)?.name;
  return name === "AbortError" || name === "TimeoutError" ? "aborted" : (name ?? "error");
}

/**
 * Runs a load profile and times every request from the runner's side. Open-loop profiles time a
 * request from when it was *scheduled*, not sent, so a generator or server that falls behind
 * shows its lag in the latencies (coordinated omission corrected, as wrk2 does; vLLM's bench
 * serve times from the send, after its concurrency limit, so with maxInFlight the two differ). Every
 * request ends as a success or a failure with its cause: none is lost.
 */
export async function runLoad(options: LoadOptions): Promise<LoadRun> {
  const { profile, stop } = options;
  if (stop.requests === undefined && stop.durationSeconds === undefined) {
    throw new RangeError("a load run needs a request count or a duration");
  }
  const stopper = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([options.signal, stopper.signal])
    : stopper.signal;
  const origin = performance.now();
  const now = () => performance.now() - origin;
  const timings: RequestTiming[] = [];
  let sent = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  let failed = 0;
  let incomplete = 0;
  let stoppedBy: LoadRun["stoppedBy"] | undefined;
  const untilMs =
    stop.durationSeconds === undefined ? Number.POSITIVE_INFINITY : stop.durationSeconds * 1000;
  const maxRequests = stop.requests ?? Number.POSITIVE_INFINITY;
  const end = (why: LoadRun["stoppedBy"]) => {
    stoppedBy ??= why;
    stopper.abort(new Error(`load run stopped: ${why}`));
  };
  const durationTimer =
    Number.isFinite(untilMs) && untilMs > 0
      ? setTimeout(() => end("duration"), untilMs)
      : undefined;
  const onAbort = () => end("signal");
  if (options.signal?.aborted) end("signal");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  /** A hook's failure (a live-metrics bug) must not leave the virtual users running. */
  const safely = (hook: () => void) => {
    try {
      hook();
    } catch {
      // the figures come from the timings, not from the hooks
    }
  };

  // Time series: what finished in each interval.
  const interval = options.intervalMs ?? 1000;
  const series: TimePoint[] = [];
  let bucket = { succeeded: 0, failed: 0, outputTokens: 0 };
  const ticker = setInterval(() => {
    series.push({ atSeconds: now() / 1000, ...bucket, inFlight });
    bucket = { succeeded: 0, failed: 0, outputTokens: 0 };
  }, interval);

  /** Sends `request`, timed from `scheduledMs` (the request is built before the clock starts). */
  const { onInFlight, onFinished } = options;
  const one = async (request: GenerateRequest, scheduledMs: number) => {
    inFlight += 1;
    peakInFlight = Math.max(peakInFlight, inFlight);
    if (onInFlight) safely(() => onInFlight(inFlight));
    const chunkAtMs: number[] = [];
    let promptTokens = 0;
    let tokensUncounted = false;
    let outputTokens = 0;
    let error: string | undefined;
    try {
      await options.send(
        request,
        (part) => {
          if (part.type === "delta") chunkAtMs.push(part.atMs - origin);
          else {
            promptTokens = part.promptTokens ?? 0;
            tokensUncounted = part.promptTokens === null || part.outputEstimated === true;
            outputTokens = part.completionTokens;
          }
        },
        signal,
      );
    } catch (cause) {
      error = signal.aborted && stoppedBy ? "stopped" : causeOf(cause);
    } finally {
      inFlight -= 1;
      if (onInFlight) safely(() => onInFlight(inFlight));
    }
    // A request the stop rule cut short is counted apart: neither a success nor a failure.
    const timing: RequestTiming = {
      startMs: scheduledMs,
      chunkAtMs,
      endMs: now(),
      promptTokens,
      outputTokens: error ? 0 : outputTokens,
      ok: error === undefined,
    };
    if (error) timing.error = error;
    if (error === "stopped") timing.incomplete = true;
    if (tokensUncounted && !error) timing.tokensUncounted = true;
    timings.push(timing);
    if (timing.incomplete) {
      incomplete += 1;
      if (onFinished) safely(() => onFinished(timing));
      return;
    }
    if (timing.ok) {
      bucket.succeeded += 1;
      bucket.outputTokens += outputTokens;
    } else {
      bucket.failed += 1;
      failed += 1;
    }
    if (onFinished) safely(() => onFinished(timing));
    const finished = timings.length - incomplete;
    if (
      stop.maxErrorRate !== undefined &&
      finished >= (stop.minRequests ?? 10) &&
      failed / finished > stop.maxErrorRate
    ) {
      end("error-rate");
    }
  };

  try {
    if (profile.type === "constant" || profile.type === "poisson") {
      const schedule = arrivalTimes(profile, {
        ...(Number.isFinite(maxRequests) ? { count: maxRequests } : {}),
        ...(Number.isFinite(untilMs) ? { untilMs } : {}),
      });
      const pending = new Set<Promise<void>>();
      let slotFree: (() => void) | undefined;
      let next = 0;
      for (; next < schedule.length; next++) {
        const at = schedule[next] as number;
        if (signal.aborted) break;
        const request = options.request(sent);
        await sleep(at - now(), signal);
        if (signal.aborted) break;
        // A free slot: the next request to finish wakes this loop (one waiter, no race over
        // every request in flight).
        while (options.maxInFlight !== undefined && inFlight >= options.maxInFlight) {
          await new Promise<void>((resolve) => {
            slotFree = resolve;
          });
        }
        if (signal.aborted) break;
        sent += 1;
        const task = one(request, at).finally(() => {
          pending.delete(task);
          const wake = slotFree;
          slotFree = undefined;
          wake?.();
        });
        pending.add(task);
      }
      // Arrivals that were due when the run stopped but never got out (waiting for a free slot)
      // are counted, cut short, from their scheduled time: none is lost.
      const stoppedAt = now();
      for (; next < schedule.length && (schedule[next] as number) <= stoppedAt; next++) {
        const timing: RequestTiming = {
          startMs: schedule[next] as number,
          chunkAtMs: [],
          endMs: stoppedAt,
          promptTokens: 0,
          outputTokens: 0,
          ok: false,
          error: "not_sent",
          incomplete: true,
        };
        sent += 1;
        incomplete += 1;
        timings.push(timing);
        safely(() => options.onFinished?.(timing));
      }
      // The schedule itself may end at the duration.
      if (!stoppedBy) {
        stoppedBy =
          Number.isFinite(untilMs) && schedule.length < maxRequests ? "duration" : "requests";
      }
      await Promise.all(pending);
    } else {
      const streams = profile.type === "synchronous" ? 1 : profile.streams;
      const think = profile.type === "concurrent" ? (profile.thinkTimeMs ?? 0) : 0;
      const ramp = (options.rampUpSeconds ?? 0) * 1000;
      const user = async (u: number) => {
        await sleep((ramp * u) / streams, signal);
        while (!signal.aborted && sent < maxRequests) {
          const request = options.request(sent++);
          await one(request, now());
          if (think > 0) await sleep(think, signal);
        }
      };
      await Promise.all(Array.from({ length: streams }, (_, u) => user(u)));
      if (!stoppedBy) stoppedBy = "requests";
    }
  } finally {
    clearTimeout(durationTimer);
    clearInterval(ticker);
    options.signal?.removeEventListener("abort", onAbort);
    // Whatever ended the run, no virtual user goes on sending.
    if (!stopper.signal.aborted) stopper.abort(new Error("load run over"));
  }
  series.push({ atSeconds: now() / 1000, ...bucket, inFlight });
  const done = timings.filter((t) => !t.incomplete);
  const first = done.reduce((m, t) => Math.min(m, t.startMs), Number.POSITIVE_INFINITY);
  const last = done.reduce((m, t) => Math.max(m, t.endMs), 0);
  return {
    timings,
    durationSeconds: done.length > 0 ? (last - first) / 1000 : 0,
    timeSeries: series,
    stoppedBy: stoppedBy ?? "requests",
    peakInFlight,
  };
}
