import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runEvaluation } from "../../src/runner/run-eval.ts";
import { repoRoot, sharedDir, tempDir } from "../helpers.ts";
import {
  type Behaviour,
  type FakeServer,
  startFakeServer,
  writeServedManifest,
} from "../openai-server.ts";

/** bench eval through the openai backend, against a real HTTP server on loopback. */
describe("bench eval of a served model (backend openai)", () => {
  let root: { dir: string; cleanup: () => void };
  let server: FakeServer | undefined;
  beforeAll(() => {
    root = tempDir("bench-openai-eval-");
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(() => root.cleanup());

  async function evaluate(suite: string, behave?: (n: number) => Behaviour, extra: string[] = []) {
    server = await startFakeServer(behave ? { behave } : {});
    const manifest = writeServedManifest(root.dir, server.url, ["retryBaseMs: 5", ...extra]);
    return runEvaluation({
      manifest,
      suite: join(repoRoot, "suites", suite),
      limit: 3,
      threads: 1,
      gpu: false,
      outDir: join(root.dir, "results"),
      env: { BENCH_HOME: join(root.dir, "home"), BENCH_MIRROR: sharedDir, BENCH_OFFLINE: "1" },
    });
  }

  it("scores a multiple-choice suite from echoed log-probabilities and records the served model", async () => {
    const { document } = await evaluate("smoke");
    expect(document.model).toMatchObject({
      id: "acme/served",
      served: { baseUrl: server?.url, model: "fake-model" },
    });
    expect(document.model.weightsSha256).toBeUndefined();
    expect(document.config.backend).toBe("openai");
    expect(document.scores.every((s) => s.n === 3 && s.errors === 0)).toBe(true);
    // Every choice was one echo request to the server.
    const echoes = server?.requests.filter((r) => r.body.echo === true) ?? [];
    expect(echoes.length).toBeGreaterThan(3 * 2);
    expect(JSON.stringify(document)).not.toContain("authorization");
  });

  it("runs a generation suite, counting a request that failed for good as the item's error", async () => {
    // The second item's request fails with 400 (not retried); the others answer.
    const { document, samplesPath } = await evaluate("gsm8k", (n) =>
      n === 1 ? { status: 400 } : {},
    );
    const errors = readFileSync(samplesPath, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { status: string; error?: { code: string } })
      .filter((s) => s.status === "error");
    expect(errors.map((e) => e.error?.code)).toEqual(["E_BACKEND"]);
    expect(document.scores[0]).toMatchObject({ n: 2, errors: 1 });
  });

  it("prices the tokens the server counted at the manifest's prices; unpriced, says why", async () => {
    const pricing = ["pricing:", "  inputPerMillionTokens: 2.5", "  outputPerMillionTokens: 10"];
    const { document } = await evaluate("gsm8k", undefined, [...pricing, "  currency: USD"]);
    const cost = document.performance.cost;
    expect(cost).toBeDefined();
    // Every request's usage was counted: prompt and output together are the tokens evaluated.
    expect((cost?.promptTokens ?? 0) + (cost?.outputTokens ?? 0)).toBe(
      document.performance.measured.tokensEvaluated,
    );
    expect(cost?.total).toBeCloseTo(
      ((cost?.promptTokens ?? 0) * 2.5 + (cost?.outputTokens ?? 0) * 10) / 1e6,
      12,
    );
    expect(document.performance.notMeasured.map((m) => m.metric)).not.toContain("cost");

    const unpriced = (await evaluate("gsm8k")).document;
    expect(unpriced.performance.cost).toBeUndefined();
    expect(unpriced.performance.notMeasured).toContainEqual({
      metric: "cost",
      reason: expect.stringMatching(/^the manifest gives no backend\.pricing/),
    });
  });

  it("refuses, before any item, to score with a server that ignores echo", async () => {
    await expect(evaluate("smoke", () => ({ ignoreEcho: true }))).rejects.toMatchObject({
      code: "E_CAPABILITY",
      message: expect.stringMatching(/does not echo the prompt's log-probabilities/),
    });
  });
});
