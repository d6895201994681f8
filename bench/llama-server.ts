/**
 * Our speed figures against llama.cpp's own: llama-server (built by
 * ../shared/tools/llama-reference/build.sh) serves stories260K; bench's openai backend runs the
 * perf-standard suite's synchronous and concurrent runs against it, and the same runs on the
 * in-process gguf backend. Beside our TTFT and decode speed, the server's own accounting from
 * /metrics over the same requests: prompt seconds per request and predicted tokens per second.
 * Prints numbers; asserts nothing.
 *
 *   npm run bench:llama-server -- [--requests 16] [--bin /tmp/llama-reference/bin]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ggufBackend } from "../evaluator/src/backends/gguf.ts";
import { openaiBackend } from "../evaluator/src/backends/openai.ts";
import type { LoadedModel } from "../evaluator/src/backends/types.ts";
import { loadSuite } from "../evaluator/src/config/load.ts";
import { runPerf } from "../evaluator/src/runner/perf.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "16" },
    bin: { type: "string", default: process.env.LLAMA_REFERENCE_BIN ?? "/tmp/llama-reference/bin" },
  },
});
const requests = Number(values.requests);
const server = join(values.bin, "llama-server");
const weights = join(root, "..", "shared", "models", "stories260K.gguf");
if (!existsSync(server)) {
  console.error(
    `no ${server}: build it with ../shared/tools/llama-reference/build.sh (about 8 minutes)`,
  );
  process.exit(1);
}

const port = 18000 + Math.floor(Math.random() * 2000);
const child: ChildProcess = spawn(
  server,
  [
    "-m",
    weights,
    "-t",
    "1",
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--metrics",
    "-c",
    "8192",
    "-np",
    "4",
  ],
  { stdio: ["ignore", "ignore", "ignore"] },
);
const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 200; i++) {
  const ok = await fetch(`${base}/health`).then(
    (r) => r.ok,
    () => false,
  );
  if (ok) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const served =
  ((await (await fetch(`${base}/v1/models`)).json()) as { data: { id: string }[] }).data[0]?.id ??
  "";

/** llama-server's counters from /metrics. */
async function counters(): Promise<Record<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^llamacpp:(\w+) ([\d.e+-]+)$/.exec(line);
    if (m) out[m[1] as string] = Number(m[2]);
  }
  return out;
}

const suite = loadSuite(join(root, "suites", "perf-standard")).data;
const runs = (suite.perf ?? []).filter((r) =>
  ["sync-p128-o128", "sync-p512-o128", "sync-p128-o512", "concurrent-4"].includes(r.id),
);
const limited = runs.map((r) => ({ ...r, stop: { ...r.stop, requests: requests } }));

const served_: LoadedModel = await openaiBackend.load({
  artifacts: {},
  options: { type: "openai", baseUrl: `${base}/v1`, model: served, maxRetries: 0 },
  runtime: { threads: 1, gpu: false, needs: ["generate"] },
});
const local: LoadedModel = await ggufBackend.load({
  artifacts: { weights },
  options: { type: "gguf", contextSize: 2048 },
  runtime: { threads: 1, gpu: false, parallel: 4, needs: ["generate"] },
});

// Both engines read the same GGUF: the server's prompts are cut with the local tokenizer, so that
// both get the same prompts of exactly the run's length (a served model alone is estimated).
const http: LoadedModel = {
  info: served_.info,
  stream: served_.stream?.bind(served_),
  countTokens: local.countTokens?.bind(local),
  stats: () => served_.stats(),
  dispose: () => served_.dispose(),
};
const fmt = (n: number | undefined, digits = 1) => (n === undefined ? "–" : n.toFixed(digits));
console.log(
  `stories260K, ${requests} requests a run, 1 thread; llama-server ${served} with 4 slots`,
);
console.log(
  "run              | engine       | prompt tok | TTFT p50 ms | TPOT p50 ms | decode tok/s (1/TPOT) | out tok/s | server: prompt ms/req | server: predicted tok/s",
);
for (const run of limited) {
  for (const [name, model] of [
    ["gguf (local)", local],
    ["llama-server", http],
  ] as const) {
    const before = name === "llama-server" ? await counters() : undefined;
    const [result] = await runPerf(model, run, {
      where: "bench",
      served: name === "llama-server",
      seed: "bench",
    });
    const after = name === "llama-server" ? await counters() : undefined;
    const ttft = result?.latency.ttft_ms?.p50;
    const tpot = result?.latency.tpot_ms?.p50;
    let serverPrompt: number | undefined;
    let serverDecode: number | undefined;
    if (before && after) {
      // The server's own seconds over the run's requests (warm-up included: one request).
      const n = (result?.requests.succeeded ?? 0) + (run.warmup ?? 1);
      serverPrompt =
        (((after.prompt_seconds_total ?? 0) - (before.prompt_seconds_total ?? 0)) / n) * 1000;
      serverDecode =
        ((after.tokens_predicted_total ?? 0) - (before.tokens_predicted_total ?? 0)) /
        ((after.tokens_predicted_seconds_total ?? 0) -
          (before.tokens_predicted_seconds_total ?? 0));
    }
    console.log(
      `${run.id.padEnd(16)} | ${name.padEnd(12)} | ${fmt(result?.tokens.meanPrompt ?? undefined, 0).padStart(10)} | ${fmt(ttft).padStart(11)} | ${fmt(tpot, 2).padStart(11)} | ${fmt(tpot ? 1000 / tpot : undefined, 0).padStart(21)} | ${fmt(result?.throughput.output_throughput?.value, 0).padStart(9)} | ${fmt(serverPrompt).padStart(21)} | ${fmt(serverDecode, 0).padStart(23)}`,
    );
  }
}
await http.dispose();
await local.dispose();
child.kill();
