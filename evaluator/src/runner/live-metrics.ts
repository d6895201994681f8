import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { BenchError } from "../errors/index.ts";
import { type RequestTiming, ttftOf } from "../pure/perf.ts";

/**
 * Prometheus metrics while `bench eval` or `bench load` runs (`--metrics-port`), with prom-client:
 * request durations and TTFT as histograms, tokens, errors by cause, requests in flight, and the
 * run's progress. Served at /metrics on loopback unless told otherwise; the dashboard and alert
 * rules under docs/monitoring/ read these names.
 */
export interface LiveMetrics {
  /** Where Prometheus scrapes: http://host:port/metrics. */
  url: string;
  /** A finished speed-run request. */
  request(timing: RequestTiming): void;
  /** Requests in flight now. */
  inFlight(n: number): void;
  /** A finished evaluation item, and the run's progress. */
  item(status: "ok" | "error", seconds: number): void;
  progress(done: number, total: number): void;
  close(): Promise<void>;
}

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export async function startLiveMetrics(
  port: number,
  host = "127.0.0.1",
  labels: { model: string; run: string },
): Promise<LiveMetrics> {
  const client = await import("prom-client");
  const registry = new client.Registry();
  registry.setDefaultLabels(labels);
  client.collectDefaultMetrics({ register: registry, prefix: "bench_process_" });
  const requests = new client.Counter({
    name: "bench_requests_total",
    help: "Speed-run requests finished, by outcome (ok, or the failure's cause).",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: "bench_request_duration_seconds",
    help: "End-to-end latency of successful speed-run requests.",
    buckets: latencyBuckets,
    registers: [registry],
  });
  const ttft = new client.Histogram({
    name: "bench_time_to_first_token_seconds",
    help: "Time to first token of successful speed-run requests.",
    buckets: latencyBuckets,
    registers: [registry],
  });
  const outputTokens = new client.Counter({
    name: "bench_output_tokens_total",
    help: "Output tokens of successful speed-run requests.",
    registers: [registry],
  });
  const promptTokens = new client.Counter({
    name: "bench_prompt_tokens_total",
    help: "Prompt tokens of successful speed-run requests.",
    registers: [registry],
  });
  const inFlight = new client.Gauge({
    name: "bench_requests_in_flight",
    help: "Speed-run requests sent and not yet finished.",
    registers: [registry],
  });
  const items = new client.Counter({
    name: "bench_items_total",
    help: "Evaluation items finished, by status.",
    labelNames: ["status"],
    registers: [registry],
  });
  const itemDuration = new client.Histogram({
    name: "bench_item_duration_seconds",
    help: "Time to evaluate one item.",
    buckets: latencyBuckets,
    registers: [registry],
  });
  const progress = new client.Gauge({
    name: "bench_progress_ratio",
    help: "Share of the run's items done (resumed ones included).",
    registers: [registry],
  });

  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").replace(/\?.*$/, "") !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: scrape /metrics\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (cause: NodeJS.ErrnoException) =>
      reject(
        new BenchError(
          "E_USAGE",
          `--metrics-port: cannot listen on ${host}:${port} (${cause.code ?? cause.message})`,
          { hint: "choose a free port, or 0 for any", cause },
        ),
      ),
    );
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${address.port}/metrics`,
    request(timing) {
      requests.inc({ outcome: timing.ok ? "ok" : (timing.error ?? "error") });
      if (!timing.ok) return;
      // Only TTFT and end-to-end: the inter-token gaps are for the result, computed once at the end.
      duration.observe((timing.endMs - timing.startMs) / 1000);
      const first = ttftOf(timing);
      if (first !== undefined) ttft.observe(first / 1000);
      outputTokens.inc(timing.outputTokens);
      promptTokens.inc(timing.promptTokens);
    },
    inFlight: (n) => inFlight.set(n),
    item(status, seconds) {
      items.inc({ status });
      itemDuration.observe(seconds);
    },
    progress: (done, total) => progress.set(total > 0 ? done / total : 0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
