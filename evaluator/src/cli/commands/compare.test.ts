import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureIo, tempDir, writeFiles } from "../../../test/helpers.ts";
import type { BenchError } from "../../errors/index.ts";
import { acc } from "../../pure/metrics/acc.ts";
import { accNorm } from "../../pure/metrics/acc-norm.ts";
import { type ScoredItem, score } from "../../pure/score.ts";
import { sha256Hex } from "../../result/canonical.ts";
import { testKey, unsignedDocument } from "../../result/fixtures/documents.ts";
import type { SigningKey } from "../../result/keys.ts";
import { signResult, type UnsignedResult } from "../../result/sign.ts";
import { compareCommand } from "./compare.ts";

let tmp: string;
let cleanup: () => void;
let results: string;
let trusted: SigningKey;
let other: SigningKey;

/** One item of a run: its acc and acc_norm, or a failure. */
type Item = { acc: number; norm: number } | "failed";

/**
 * Writes a signed result of `model` on task mc of suite demo, with its samples, to
 * `<results>/<model>/demo/<run>.json` and returns the path. `edit` changes the document before
 * it is signed.
 */
function writeRun(
  model: string,
  run: string,
  items: readonly Item[],
  key: SigningKey,
  edit: (document: UnsignedResult) => void = () => {},
): string {
  const samples: ScoredItem[] = items.map((item, index) =>
    item === "failed"
      ? { task: "mc", index, status: "error" }
      : { task: "mc", index, status: "ok", scores: { acc: item.acc, acc_norm: item.norm } },
  );
  const text = samples
    .map((s) =>
      JSON.stringify(
        s.status === "ok" ? s : { ...s, error: { code: "E_BACKEND", message: "failed" } },
      ),
    )
    .join("\n")
    .concat("\n");
  const document = unsignedDocument();
  document.model.id = model;
  document.run.id = run;
  document.samples = { path: `${run}.samples.jsonl`, sha256: sha256Hex(text), count: items.length };
  const task = document.suite.tasks[0] as UnsignedResult["suite"]["tasks"][number];
  task.itemsTotal = items.length;
  task.itemsEvaluated = items.length;
  document.scores = score([{ id: "mc", metrics: [acc, accNorm] }], samples);
  edit(document);
  const dir = join(results, model, "demo");
  writeFiles(dir, {
    [`${run}.json`]: JSON.stringify(signResult(document, key)),
    [`${run}.samples.jsonl`]: text,
  });
  return join(dir, `${run}.json`);
}

// acc: a gets 5 of 10 right, b 8 (item 9 failed in b). acc_norm is not binary here on purpose.
const itemsA: Item[] = [1, 1, 0, 0, 1, 0, 1, 0, 1, 0].map((acc, i) => ({ acc, norm: i / 10 }));
const itemsB: Item[] = [1, 1, 1, 1, 1, 1, 1, 0, 1, 0].map((acc, i) =>
  i === 9 ? "failed" : { acc, norm: i / 10 + 0.05 },
);

let fileA: string;
let fileB: string;
beforeAll(() => {
  ({ dir: tmp, cleanup } = tempDir("bench-compare-"));
  results = join(tmp, "results");
  trusted = testKey();
  other = testKey();
  writeFiles(results, {
    "trusted-keys.json": JSON.stringify({
      schemaVersion: 1,
      keys: [{ keyId: trusted.keyId, publicKey: trusted.publicKey, owner: "CI" }],
    }),
  });
  fileA = writeRun("acme/tiny", "run-a", itemsA, trusted);
  fileB = writeRun("acme/huge", "run-b", itemsB, other);
});
afterAll(() => cleanup());

async function compare(...argv: string[]) {
  const capture = captureIo();
  const code = await compareCommand(argv, capture.io, {});
  const clean = (text: string) =>
    text
      .replaceAll(tmp, "<tmp>")
      .replaceAll(trusted.keyId, "<trusted>")
      .replaceAll(other.keyId, "<other>");
  return { code, stdout: clean(capture.stdout()), stderr: clean(capture.stderr()) };
}

describe("bench compare", () => {
  it("prints per-task deltas with intervals and paired tests, and marks an untrusted signer", async () => {
    const result = await compare(fileA, fileB);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatchInlineSnapshot(`
      "a  <tmp>/results/acme/tiny/demo/run-a.json  acme/tiny  trusted (key <trusted>, CI)
      b  <tmp>/results/acme/huge/demo/run-b.json  acme/huge  untrusted (local key <other>, not in the trust list)
      suite demo 1.0.0: values over the items that ran in both; 95% CI of the delta from 1000 paired bootstrap resamples; excluded = items that failed in either run

      task  metric    a       b       delta (b − a)  95% CI              test              p       n  excluded
      mc    acc       0.5556  0.8889  +0.3333        [+0.1111, +0.6667]  mcnemar-exact     0.2500  9  1
      mc    acc_norm  0.4000  0.4500  +0.0500        [+0.0500, +0.0500]  paired-bootstrap  0.0020  9  1

      speed and memory (figures both runs measured; ratio b / a):
      figure                    unit      a       b       ratio   better
      measured.tokensPerSecond  tokens/s  812.50  812.50  1.000×
      "
    `);
  });

  it("prints the same as JSON", async () => {
    const result = await compare(fileA, fileB, "--json", "--iterations", "2000");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchInlineSnapshot(`
      {
        "a": {
          "file": "<tmp>/results/acme/tiny/demo/run-a.json",
          "model": "acme/tiny",
          "run": "run-a",
          "signer": {
            "keyId": "<trusted>",
            "kind": "local",
            "owner": "CI",
            "status": "trusted",
          },
        },
        "b": {
          "file": "<tmp>/results/acme/huge/demo/run-b.json",
          "model": "acme/huge",
          "run": "run-b",
          "signer": {
            "keyId": "<other>",
            "kind": "local",
            "status": "untrusted",
          },
        },
        "bootstrap": {
          "generator": "mulberry32",
          "iterations": 2000,
        },
        "performance": [
          {
            "a": 812.5,
            "b": 812.5,
            "figure": "measured.tokensPerSecond",
            "higherIsBetter": true,
            "ratio": 1,
            "unit": "tokens/s",
          },
        ],
        "rows": [
          {
            "a": 0.5555555555555556,
            "b": 0.8888888888888888,
            "ci95": {
              "high": 0.6666666666666667,
              "low": 0.11111111111111105,
            },
            "delta": 0.33333333333333326,
            "discordant": {
              "aOnly": 0,
              "bOnly": 3,
            },
            "excluded": 1,
            "higherIsBetter": true,
            "metric": "acc",
            "n": 9,
            "p": 0.25,
            "seed": 2359433220,
            "task": "mc",
            "test": "mcnemar-exact",
          },
          {
            "a": 0.39999999999999997,
            "b": 0.45000000000000007,
            "ci95": {
              "high": 0.050000000000000155,
              "low": 0.04999999999999988,
            },
            "delta": 0.0500000000000001,
            "excluded": 1,
            "higherIsBetter": true,
            "metric": "acc_norm",
            "n": 9,
            "p": 0.0009995002498750624,
            "seed": 2492572499,
            "task": "mc",
            "test": "paired-bootstrap",
          },
        ],
        "suite": {
          "id": "demo",
          "version": "1.0.0",
        },
      }
    `);
  });

  it.each([
    [
      "different items",
      () => writeRun("acme/short", "run-c", itemsA.slice(0, 8), other),
      "<tmp>/results/acme/short/demo/run-c.json are not comparable: task mc: item indices differ (2 items only in a, 0 items only in b)",
    ],
    [
      "a different prompt digest",
      () =>
        writeRun("acme/prompt", "run-d", itemsA, other, (d) => {
          (d.suite.tasks[0] as { promptSha256: string }).promptSha256 = "f".repeat(64);
        }),
      "<tmp>/results/acme/prompt/demo/run-d.json are not comparable: task mc: prompt sha256 eeeeeeeeeeee… vs ffffffffffff…",
    ],
    [
      "a different suite version",
      () =>
        writeRun("acme/newer", "run-e", itemsA, other, (d) => {
          d.suite.version = "1.1.0";
          (d.suite.tasks[0] as { datasetSha256: string }).datasetSha256 = "0".repeat(64);
        }),
      '<tmp>/results/acme/newer/demo/run-e.json are not comparable: suite version "1.0.0" vs "1.1.0"; task mc: dataset sha256 dddddddddddd… vs 000000000000…',
    ],
  ])("refuses results with %s, naming both files and what differs", async (_, write, message) => {
    const refusal = await compare(fileA, write()).then(
      () => undefined,
      (error: BenchError) => ({
        code: error.code,
        message: error.message.replaceAll(tmp, "<tmp>"),
      }),
    );
    expect(refusal).toEqual({
      code: "E_NOT_COMPARABLE",
      message: `bench compare: <tmp>/results/acme/tiny/demo/run-a.json and ${message}`,
    });
  });

  it("refuses a result whose signature does not verify", async () => {
    const file = writeRun("acme/forged", "run-f", itemsB, other);
    writeFileSync(file, readFileSync(file, "utf8").replace('"value":0.8', '"value":0.9'));
    await expect(compare(fileA, file)).rejects.toMatchObject({
      code: "E_SIGNATURE",
      message: expect.stringContaining("$.signature.value: does not match the document"),
    });
  });
});
