import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { captureIo, tempDir } from "../helpers.ts";
import {
  type FakeOptions,
  type FakeServer,
  startFakeServer,
  writeServedManifest,
} from "../openai-server.ts";

describe("bench load against an OpenAI-compatible server on loopback", () => {
  let root: { dir: string; cleanup: () => void };
  let server: FakeServer | undefined;
  beforeAll(() => {
    root = tempDir("bench-load-");
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(() => root.cleanup());

  async function manifest(behave?: FakeOptions["behave"]) {
    server = await startFakeServer(behave ? { behave } : {});
    return writeServedManifest(root.dir, server.url, ["maxRetries: 0"]);
  }

  const env = () => ({ BENCH_HOME: join(root.dir, "home"), BENCH_OFFLINE: "1" });

  it("writes a signed result with every request counted, and serves Prometheus metrics while it runs", {
    timeout: 120_000,
  }, async () => {
    const file = await manifest((n) => (n % 10 === 9 ? { status: 503 } : { tokenDelayMs: 5 }));
    const io = captureIo();
    const running = main(
      [
        "load",
        file,
        "--users",
        "50",
        "--requests",
        "400",
        "--output-tokens",
        "8",
        "--warmup",
        "0",
        "--slo-ttft-ms",
        "1000",
        "--metrics-port",
        "0",
        "--out",
        join(root.dir, "results"),
        "--json",
      ],
      io.io,
      env(),
    );
    // Scrape while the test runs: the URL is printed first.
    let scraped = "";
    for (let i = 0; i < 200 && scraped === ""; i++) {
      const url = /metrics: (\S+)/.exec(io.stderr())?.[1];
      if (url) {
        const text = await (await fetch(url)).text();
        if (text.includes("bench_requests_total{")) scraped = text;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await running, io.stderr()).toBe(0);
    expect(scraped).toMatch(/bench_requests_in_flight\{[^}]*model="acme\/served"[^}]*\} \d+/);
    expect(scraped).toMatch(/bench_request_duration_seconds_bucket/);
    expect(scraped).toMatch(/bench_requests_total\{outcome="(ok|http_503)"/);

    const { documentPath, load } = JSON.parse(io.stdout());
    expect(load.requests).toEqual({
      sent: 400,
      succeeded: 360,
      failed: 40,
      incomplete: 0,
      errors: { http_503: 40 },
    });
    expect(load.tokens.output).toBe(360 * 8);
    expect(load.latency.ttft_ms).toMatchObject({ unit: "ms", higherIsBetter: false, count: 360 });
    expect(load.goodput).toMatchObject({ slo: { ttftMs: 1000 }, unit: "requests/s" });
    const samples = readFileSync(documentPath.replace(/\.json$/, ".samples.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(samples).toHaveLength(400);
    // The result verifies like any other (a local key: untrusted, allowed here).
    const verify = captureIo();
    expect(
      await main(["verify", join(root.dir, "results"), "--allow-untrusted"], verify.io, env()),
      verify.stdout() + verify.stderr(),
    ).toBe(0);
    expect(documentPath).toMatch(/results\/acme\/served\/load\/[^/]+\.json$/);
  });

  it("prices the tokens the server counted at the manifest's prices, and says why when it cannot", {
    timeout: 60_000,
  }, async () => {
    const pricing = [
      "pricing:",
      "  inputPerMillionTokens: 0.15",
      "  outputPerMillionTokens: 0.6",
      "  currency: USD",
      "  source: https://example.com/pricing",
      "  date: 2026-11-01",
    ];
    const run = async (noUsage: boolean) => {
      server = await startFakeServer({ behave: () => (noUsage ? { noUsage: true } : {}) });
      const file = writeServedManifest(root.dir, server.url, ["maxRetries: 0", ...pricing]);
      const io = captureIo();
      const args = ["load", file, "--users", "4", "--requests", "20", "--output-tokens", "8"];
      const out = ["--warmup", "0", "--out", join(root.dir, "results"), "--json"];
      expect(await main([...args, ...out], io.io, env()), io.stderr()).toBe(0);
      await server.close();
      server = undefined;
      return JSON.parse(io.stdout()).load;
    };
    const priced = await run(false);
    // The fake server counts one token per word of the prompt and 8 output tokens per request.
    expect(priced.tokens.output).toBe(160);
    const total = (priced.tokens.prompt * 0.15 + 160 * 0.6) / 1e6;
    expect(priced.cost).toMatchObject({
      currency: "USD",
      promptTokens: priced.tokens.prompt,
      outputTokens: 160,
      pricing: { inputPerMillionTokens: 0.15, source: "https://example.com/pricing" },
    });
    expect(priced.cost.total).toBeCloseTo(total, 12);
    expect(priced.cost.perRequest).toBeCloseTo(total / 20, 12);
    expect(priced.cost.perMillionOutputTokens).toBeCloseTo((total / 160) * 1e6, 9);

    const unpriced = await run(true);
    expect(unpriced.cost).toBeUndefined();
    expect(unpriced.resources.notMeasured).toContainEqual({
      metric: "cost",
      reason: "the server reported no usage for 20 of 20 requests: their tokens cannot be priced",
    });
  });

  it.each([
    [["--profile", "poisson", "--requests", "5"], /--rate: the poisson profile needs a rate/],
    [["--rate", "5", "--requests", "5"], /--rate: the concurrent profile sends no fixed rate/],
    [["--users", "5"], /say when to stop: --requests or --duration/],
    [["--users", "0", "--requests", "5"], /--users: "0" is not a positive integer/],
    [
      ["--rate", "fast", "--profile", "constant", "--requests", "5"],
      /--rate: "fast" is not a decimal number/,
    ],
    [["--metrics-port", "70000", "--requests", "5"], /--metrics-port: "70000"/],
  ])("refuses %j with a usage error", async (args, message) => {
    const io = captureIo();
    const file = join(root.dir, "models/acme/none.yaml");
    expect(await main(["load", file, ...args], io.io, env())).toBe(2);
    expect(io.stderr()).toMatch(message);
  });
});
