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
