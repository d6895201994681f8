import { afterEach, describe, expect, it } from "vitest";
import { openaiBackend } from "../../src/backends/openai.ts";
import { pushParts } from "../../src/backends/stream.ts";
import type { LoadedModel } from "../../src/backends/types.ts";
import { runFigures } from "../../src/pure/perf.ts";
import { runLoad } from "../../src/runner/load-gen.ts";
import { type Behaviour, type FakeServer, startFakeServer } from "../openai-server.ts";

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function served(behave?: (n: number) => Behaviour): Promise<LoadedModel> {
  server = await startFakeServer(behave ? { behave } : {});
  return openaiBackend.load({
    artifacts: {},
    options: {
      type: "openai",
      baseUrl: server.url,
      model: "fake-model",
      maxRetries: 0,
      timeoutMs: 60_000,
    },
    runtime: { threads: 1, gpu: false, parallel: 1000 },
  });
}

const request = () => ({ prompt: "Tell me a story", maxTokens: 4 });

/** The model's stream in push form, which the openai backend always has. */
const streamOf = (model: LoadedModel) => {
  const send = pushParts(model);
  if (!send) throw new Error("the model cannot stream");
  return send;
};

describe("the load generator against an OpenAI-compatible server on loopback", () => {
  it("runs 1,000 virtual users with no request lost: each is a success or a counted error", {
    timeout: 120_000,
  }, async () => {
    // Every 25th request is refused with 503: they must come back counted by cause.
    const model = await served((n) => (n % 25 === 24 ? { status: 503 } : { tokenDelayMs: 1 }));
    const run = await runLoad({
      profile: { type: "concurrent", streams: 1000 },
      stop: { requests: 3000 },
      request,
      send: streamOf(model),
    });
    const figures = runFigures(run.timings, run.durationSeconds);
    expect(figures.requests.sent).toBe(3000);
    expect(figures.requests.succeeded + figures.requests.failed).toBe(3000);
    expect(figures.requests.errors).toEqual({ http_503: 120 });
    expect(figures.requests.incomplete).toBe(0);
    expect(figures.tokens.output).toBe(2880 * 4);
    expect(run.peakInFlight).toBe(1000);
    expect(run.stoppedBy).toBe("requests");
    // The server saw every request once (no retries asked).
    expect(server?.requests.filter((r) => r.path === "/v1/completions")).toHaveLength(3000);
  });

  it("open loop: sends on a seeded Poisson schedule and times each request from its scheduled start", async () => {
    const model = await served(() => ({ delayMs: 30 }));
    const run = await runLoad({
      profile: { type: "poisson", rate: 200, seed: 5 },
      stop: { requests: 40 },
      maxInFlight: 1,
      request,
      send: streamOf(model),
    });
    expect(run.timings).toHaveLength(40);
    // With one request in flight and 30 ms per answer, request i cannot finish before 30(i+1) ms
    // after the first was scheduled: its latency, counted from its own scheduled time, carries
    // the backlog (coordinated omission corrected) instead of hiding it.
    const sorted = [...run.timings].sort((a, b) => a.startMs - b.startMs);
    const origin = sorted[0]?.startMs ?? 0;
    for (const [i, t] of sorted.entries()) {
      expect(t.endMs - origin).toBeGreaterThanOrEqual(30 * (i + 1) - 1);
    }
    expect(run.peakInFlight).toBe(1);
  });

  it("stops at the duration and counts the requests it cut short apart", async () => {
    const model = await served(() => ({ tokenDelayMs: 100 }));
    const run = await runLoad({
      profile: { type: "concurrent", streams: 4 },
      stop: { durationSeconds: 0.25 },
      request: () => ({ prompt: "x", maxTokens: 50 }),
      send: streamOf(model),
    });
    const figures = runFigures(run.timings, run.durationSeconds);
    expect(run.stoppedBy).toBe("duration");
    expect(figures.requests.incomplete).toBe(4);
    expect(figures.requests.failed).toBe(0);
  });

  it("open loop: counts the arrivals that were due but never sent when the duration ended", async () => {
    const model = await served(() => ({ delayMs: 200 }));
    const run = await runLoad({
      profile: { type: "constant", rate: 100 },
      stop: { durationSeconds: 1 },
      maxInFlight: 2,
      request,
      send: streamOf(model),
    });
    const figures = runFigures(run.timings, run.durationSeconds);
    expect(run.stoppedBy).toBe("duration");
    // 100 arrivals were due within the second: each is a success or cut short, none lost.
    expect(figures.requests.sent).toBeGreaterThanOrEqual(99);
    expect(figures.requests.succeeded + figures.requests.incomplete).toBe(figures.requests.sent);
    expect(run.timings.filter((t) => t.error === "not_sent").length).toBeGreaterThan(80);
  });

  it("an aborted signal stops a run before it sends anything, and says so", async () => {
    const model = await served();
    const controller = new AbortController();
    controller.abort(new Error("interrupted"));
    const run = await runLoad({
      profile: { type: "concurrent", streams: 3 },
      stop: { requests: 10 },
      request,
      send: streamOf(model),
      signal: controller.signal,
    });
    expect(run.stoppedBy).toBe("signal");
    expect(run.timings).toEqual([]);
  });

  it("stops when the error rate passes its limit", async () => {
    const model = await served(() => ({ status: 500 }));
    const run = await runLoad({
      profile: { type: "synchronous" },
      stop: { requests: 1000, maxErrorRate: 0.5, minRequests: 5 },
      request,
      send: streamOf(model),
    });
    expect(run.stoppedBy).toBe("error-rate");
    expect(run.timings).toHaveLength(5);
    expect(runFigures(run.timings, run.durationSeconds).requests.errors).toEqual({ http_500: 5 });
  });
});
