/**
 * Is bench load's generator fast enough to measure a server, not itself? The same loopback
 * endpoint (bench/load-server.ts, its own process) is driven by autocannon and by bench's
 * generator (runLoad through the openai backend), plain JSON and server-sent events, each for the
 * same time with the same connections, in rounds that alternate which goes first (this machine's
 * speed drifts: the median ratio of the rounds is the figure); then 10,000 virtual users hold streams open while the
 * generator's peak RSS is sampled. Where `taskset` exists and there are two cores or more, the
 * server runs on the last core and the generators on the first, as wrk's authors advise, so that
 * neither takes the other's CPU. Each line also gives the generator's own CPU time per request
 * and how busy the server was (near 100%: the server, not the generator, set the rate).
 * Prints numbers; asserts nothing.
 *
 * Rounds are short and many (3 s, 15 by default): this machine's speed drifts by ±30% within a
 * minute, and a pair of rounds compares like with like only if it is short. The median ratio is
 * printed with the geometric mean's 95% interval (Student's t on the rounds' log ratios), so that
 * "at parity within the noise" and "short of it" can be told apart.
 *
 *   npm run bench:load -- [--connections 50] [--seconds 3] [--rounds 15] [--users 10000]
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { openaiBackend } from "../evaluator/src/backends/openai.ts";
import { type PushParts, pushParts } from "../evaluator/src/backends/stream.ts";
import type { GenerateRequest, LoadedModel } from "../evaluator/src/backends/types.ts";
import { percentile, runFigures } from "../evaluator/src/pure/perf.ts";
import { mean, meanStderr } from "../evaluator/src/pure/stats.ts";
import { runLoad } from "../evaluator/src/runner/load-gen.ts";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "50" },
    seconds: { type: "string", default: "3" },
    users: { type: "string", default: "10000" },
    rounds: { type: "string", default: "15" },
    // Internal: the memory run alone, in a fresh process (see the end of this file), told the
    // machine's cores (it inherits this process's pinning to one).
    "memory-only": { type: "boolean", default: false },
    cores: { type: "string" },
  },
});
const connections = Number(values.connections);
const seconds = Number(values.seconds);
const users = Number(values.users);
const rounds = Number(values.rounds);
for (const [name, value] of Object.entries({ connections, seconds, users, rounds })) {
  if (!(value > 0) || !Number.isFinite(value)) {
    console.error(
      `bench:load: --${name} must be a number above 0 (got ${values[name as keyof typeof values]})`,
    );
    process.exit(2);
  }
}

/** Pins every thread of `pid` to `cpu` with taskset (-a: V8's and libuv's too); false where that cannot be done. */
function pin(pid: number, cpu: number): boolean {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const cores = values.cores === undefined ? availableParallelism() : Number(values.cores);
const pinned = cores >= 2 && pin(process.pid, 0);
const serverScript = fileURLToPath(new URL("load-server.ts", import.meta.url));

async function startServer(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [serverScript, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<string>((resolve) => {
    child.stdout?.once("data", (chunk) => resolve(String(chunk).trim()));
  });
  if (pinned && (child.pid === undefined || !pin(child.pid, cores - 1))) {
    console.error("bench:load: the server could not be pinned to its own core");
  }
  return { url: `http://127.0.0.1:${port}`, child };
}

async function model(url: string): Promise<LoadedModel> {
  return openaiBackend.load({
    artifacts: {},
    options: { type: "openai", baseUrl: `${url}/v1`, model: "bench-model", maxRetries: 0 },
    runtime: { threads: 1, gpu: false },
  });
}

const body = JSON.stringify({ model: "bench-model", prompt: "Hello", max_tokens: 8 });
const request = (): GenerateRequest => ({ prompt: "Hello", maxTokens: 8 });

async function cannon(url: string, stream: boolean) {
  const result = await autocannon({
    url: `${url}/v1/completions`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: stream ? body.replace("}", ',"stream":true}') : body,
    connections,
    duration: seconds,
  });
  return {
    rps: result.requests.total / seconds,
    errors: result.errors + result.non2xx,
    requests: result.requests.total,
  };
}

interface Rate {
  rps: number;
  errors: number;
  /** The requests the rate counts. */
  requests: number;
}

/** `run`'s rate, with this process's CPU time (user + system) per request and the server's load. */
async function timed(
  server: ChildProcess,
  run: () => Promise<Rate>,
): Promise<Rate & { cpuUsPerRequest: number; serverBusy: number | undefined }> {
  const before = process.cpuUsage();
  const serverBefore = cpuMs(server.pid);
  const start = performance.now();
  const result = await run();
  const cpu = process.cpuUsage(before);
  const wallMs = performance.now() - start;
  const serverAfter = cpuMs(server.pid);
  return {
    ...result,
    cpuUsPerRequest: result.requests > 0 ? (cpu.user + cpu.system) / result.requests : 0,
    serverBusy:
      serverBefore === undefined || serverAfter === undefined
        ? undefined
        : (serverAfter - serverBefore) / wallMs,
  };
}

/** A process's CPU time (user + system) in ms, from /proc on Linux; undefined elsewhere. */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}
const busy = (share: number | undefined) =>
  share === undefined ? "" : `, server busy ${(share * 100).toFixed(0)}%`;

async function ours(url: string, stream: boolean) {
  const m = await model(url);
  const send: PushParts = stream
    ? (pushParts(m) as PushParts)
    : async (r, push, signal) => {
        const result = await m.generate?.(r, signal);
        const at = performance.now();
        push({ type: "delta", text: result?.text ?? "", tokens: result?.tokens ?? 0, atMs: at });
        push({
          type: "finish",
          finishReason: result?.finishReason ?? "stop",
          promptTokens: null,
          completionTokens: result?.tokens ?? 0,
          truncatedTokens: 0,
          atMs: at,
        });
      };
  const run = await runLoad({
    profile: { type: "concurrent", streams: connections },
    stop: { durationSeconds: seconds },
    request,
    send,
  });
  const f = runFigures(run.timings, run.durationSeconds);
  await m.dispose();
  return { rps: f.request_throughput, errors: f.requests.failed, requests: f.requests.succeeded };
}

/** Student's t at 97.5% for 1–30 degrees of freedom (beyond: the normal's 1.96). */
const t975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048,
  2.045, 2.042,
];

/** The geometric mean of `ratios` and its 95% interval (t on the logs; none for one round). */
function geometricInterval(ratios: number[]): { mean: number; low: number; high: number } {
  const logs = ratios.map(Math.log);
  const m = mean(logs);
  const se = meanStderr(logs);
  if (se === null) return { mean: Math.exp(m), low: Number.NaN, high: Number.NaN };
  const half = (t975[logs.length - 2] ?? 1.96) * se;
  return { mean: Math.exp(m), low: Math.exp(m - half), high: Math.exp(m + half) };
}

if (!values["memory-only"]) {
  console.log(
    `loopback, ${connections} connections, ${seconds} s each, ${rounds} rounds; Node ${process.version}; ${pinned ? `server on core ${cores - 1}, generators on core 0` : "not pinned"}`,
  );
  for (const stream of [false, true]) {
    const mode = stream ? "SSE (8 events)" : "plain JSON    ";
    const ratios: number[] = [];
    const server = await startServer(["--events", "8"]);
    try {
      for (let round = 1; round <= rounds; round++) {
        // Alternate which goes first, so that a drift in the machine's speed favours neither.
        const first = round % 2 === 1;
        const a1 = first ? await timed(server.child, () => cannon(server.url, stream)) : undefined;
        const b = await timed(server.child, () => ours(server.url, stream));
        const a = a1 ?? (await timed(server.child, () => cannon(server.url, stream)));
        ratios.push(b.rps / a.rps);
        console.log(
          `${mode} round ${round}: autocannon ${a.rps.toFixed(0)} req/s (${a.errors} errors, ${a.cpuUsPerRequest.toFixed(0)} µs CPU/req${busy(a.serverBusy)})  bench load ${b.rps.toFixed(0)} req/s (${b.errors} errors, ${b.cpuUsPerRequest.toFixed(0)} µs CPU/req${busy(b.serverBusy)})  ratio ${(b.rps / a.rps).toFixed(2)}×`,
        );
      }
    } finally {
      server.child.kill();
    }
    const interval = geometricInterval(ratios);
    console.log(
      `${mode} median ratio ${(percentile(ratios, 50) as number).toFixed(2)}× over ${rounds} rounds (${ratios.filter((r) => r >= 1).length} at ≥ 1.0×); geometric mean ${interval.mean.toFixed(2)}×, 95% interval ${interval.low.toFixed(2)}–${interval.high.toFixed(2)}×`,
    );
  }

  // The memory run, in a fresh process: this one holds what the runs above left in its heap.
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      "--memory-only",
      "--users",
      String(users),
      "--seconds",
      String(seconds),
      "--cores",
      String(cores),
    ],
    { stdio: "inherit" },
  );
  process.exit(
    await new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1))),
  );
}

// Memory: `users` virtual users, each holding a stream of 4 events 1 s apart (10,000 users then
// ask 10,000 events a second, within what one core parses).
const server = await startServer(["--events", "4", "--delay", "1000"]);
try {
  const m = await model(server.url);
  // The generator's own memory: what it held before the users start, at their peak, and the
  // heap actually in use at the peak (RSS also keeps freed pages).
  const before = process.memoryUsage.rss();
  let peak = before;
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peak = Math.max(peak, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  }, 100);
  const run = await runLoad({
    profile: { type: "concurrent", streams: users },
    stop: { durationSeconds: Math.max(seconds, 12) },
    rampUpSeconds: 2,
    request,
    send: pushParts(m) as PushParts,
  });
  clearInterval(sampler);
  await m.dispose();
  const f = runFigures(run.timings, run.durationSeconds);
  console.log(
    `${users} virtual users: peak in flight ${run.peakInFlight}, ${f.requests.succeeded} ok, ${f.requests.failed} failed ${JSON.stringify(f.requests.errors)}, ${f.requests.incomplete} cut short; TTFT p50 ${f.ttft_ms?.p50.toFixed(0)} ms, end-to-end p50 ${f.e2e_latency_ms?.p50.toFixed(0)} ms (the server's floor: 4 events 1 s apart, so 4,000 ms); RSS ${(before / 2 ** 20).toFixed(0)} MiB before (a fresh process, model loaded), peak ${(peak / 2 ** 20).toFixed(0)} MiB; JS heap peak ${(peakHeap / 2 ** 20).toFixed(0)} MiB`,
  );
} finally {
  server.child.kill();
}
