import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../../test/helpers.ts";
import { type LiveMetrics, startLiveMetrics } from "./live-metrics.ts";

let live: LiveMetrics | undefined;
afterEach(async () => {
  await live?.close();
  live = undefined;
});

describe("live Prometheus metrics", () => {
  it("serves what the run reports, and nothing but /metrics", async () => {
    live = await startLiveMetrics(0, "127.0.0.1", { model: "acme/m", run: "r1" });
    live.request({
      startMs: 0,
      chunkAtMs: [40],
      endMs: 100,
      promptTokens: 7,
      outputTokens: 3,
      ok: true,
    });
    live.request({
      startMs: 0,
      chunkAtMs: [],
      endMs: 5,
      promptTokens: 0,
      outputTokens: 0,
      ok: false,
      error: "http_503",
    });
    live.inFlight(4);
    live.item("error", 0.2);
    live.progress(1, 4);
    const text = await (await fetch(live.url)).text();
    expect(text).toContain('bench_requests_total{outcome="ok",model="acme/m",run="r1"} 1');
    expect(text).toContain('bench_requests_total{outcome="http_503",model="acme/m",run="r1"} 1');
    expect(text).toContain('bench_output_tokens_total{model="acme/m",run="r1"} 3');
    expect(text).toContain('bench_requests_in_flight{model="acme/m",run="r1"} 4');
    expect(text).toContain('bench_progress_ratio{model="acme/m",run="r1"} 0.25');
    expect(text).toContain(
      'bench_time_to_first_token_seconds_bucket{le="0.05",model="acme/m",run="r1"} 1',
    );
    expect((await fetch(live.url.replace("/metrics", "/other"))).status).toBe(404);
  });

  it("refuses a port in use with a usage error", async () => {
    live = await startLiveMetrics(0, "127.0.0.1", { model: "m", run: "r" });
    const port = Number(new URL(live.url).port);
    await expect(
      startLiveMetrics(port, "127.0.0.1", { model: "m", run: "r" }),
    ).rejects.toMatchObject({
      code: "E_USAGE",
      message: expect.stringMatching(
        /--metrics-port: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/,
      ),
    });
  });

  it("exposes every metric that the shipped dashboard and alert rules query", async () => {
    live = await startLiveMetrics(0, "127.0.0.1", { model: "m", run: "r" });
    live.request({
      startMs: 0,
      chunkAtMs: [1],
      endMs: 2,
      promptTokens: 1,
      outputTokens: 1,
      ok: true,
    });
    live.item("ok", 0.1);
    const exposed = await (await fetch(live.url)).text();
    const monitoring = join(repoRoot, "docs", "monitoring");
    const dashboard = JSON.parse(readFileSync(join(monitoring, "grafana-dashboard.json"), "utf8"));
    const rules = parse(readFileSync(join(monitoring, "alerts.yml"), "utf8"));
    const queries = [
      ...dashboard.panels.flatMap((p: { targets: { expr: string }[] }) =>
        p.targets.map((t) => t.expr),
      ),
      ...rules.groups.flatMap((g: { rules: { expr: string }[] }) => g.rules.map((r) => r.expr)),
    ];
    const names = new Set(queries.flatMap((q: string) => q.match(/\bbench_[a-z_]+/g) ?? []));
    expect(names.size).toBeGreaterThan(5);
    for (const name of names) expect(exposed, name).toMatch(new RegExp(`^${name}[{ ]`, "m"));
  });
});
