import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  keyIdOf,
  rawPublicKey,
  type SigningKey,
  sha256Hex,
  signResult,
  type UnsignedResult,
} from "@bench/evaluator/results";

const zeros = "0".repeat(64);

/** A fresh Ed25519 key; `kind` is what the signature header claims. */
export function createSigningKey(kind: SigningKey["signer"]["kind"] = "local"): SigningKey {
  const { privateKey } = generateKeyPairSync("ed25519");
  const publicKey = rawPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey), signer: { kind }, source: "test" };
}

export interface FixtureOptions {
  modelId?: string;
  modelName?: string;
  purpose?: UnsignedResult["model"]["purpose"];
  suiteId?: string;
  suiteName?: string;
  runId?: string;
  finishedAt?: string;
  scores?: UnsignedResult["scores"];
  comparisons?: UnsignedResult["comparisons"];
}

/** A minimal result document that validates against schemas/result.schema.json. */
export function resultDocument(options: FixtureOptions = {}): UnsignedResult {
  const runId = options.runId ?? "run-1";
  const finishedAt = options.finishedAt ?? "2026-05-01T12:00:00.000Z";
  return {
    schemaVersion: 1,
    kind: "bench.result",
    run: { id: runId, startedAt: finishedAt, finishedAt, complete: true, resumed: false },
    model: {
      id: options.modelId ?? "test-org/tiny-model",
      name: options.modelName ?? "Tiny Test Model",
      purpose: options.purpose ?? "evaluation",
      manifestPath: "models/test-org/tiny-model.yaml",
      manifestSha256: zeros,
      weightsSha256: zeros,
    },
    suite: {
      id: options.suiteId ?? "arc-easy",
      name: options.suiteName ?? "ARC-Easy",
      version: "1.0.0",
      suiteSha256: zeros,
      tasks: [
        {
          id: "arc-easy",
          type: "multiple-choice",
          datasetSha256: zeros,
          promptSha256: zeros,
          itemsTotal: 40,
          itemsEvaluated: 40,
        },
      ],
    },
    config: { backend: "gguf", threads: 2, parallel: 4, contextSize: 512, gpu: false, limit: null },
    scores: options.scores ?? [
      {
        task: "arc-easy",
        metric: "acc",
        value: 0.625,
        stderr: 0.07752,
        n: 40,
        errors: 0,
        higherIsBetter: true,
        aggregation: "mean",
      },
    ],
    ...(options.comparisons ? { comparisons: options.comparisons } : {}),
    samples: { path: `${runId}.samples.jsonl`, sha256: zeros, count: 0 },
    performance: {
      measured: { wallSeconds: 12.5, peakRssBytes: 104857600 },
      notMeasured: [{ metric: "gpuMemoryBytes", reason: "no GPU was used" }],
    },
    environment: {
      os: { platform: "linux", release: "6.8.0" },
      cpu: { model: "Test CPU", cores: 2 },
      memoryBytes: 8589934592,
      gpu: { used: false, reason: "none found" },
      runtime: { node: "26.10.0" },
      evaluator: { version: "0.1.0", gitCommit: "0123456789abcdef", gitDirty: false },
      backend: { "node-llama-cpp": "3.22.1" },
    },
  };
}

/**
 * Writes `document`, signed with `key`, to `<resultsDir>/<org>/<model>/<suite>/<run>.json` with
 * its samples file beside it, and returns the document's path.
 */
export function writeSignedResult(
  resultsDir: string,
  document: UnsignedResult,
  key: SigningKey,
  lines: readonly object[] = [{ item: 0, correct: true }],
): string {
  const file = join(resultsDir, document.model.id, document.suite.id, `${document.run.id}.json`);
  mkdirSync(dirname(file), { recursive: true });
  const samples = lines.map((line) => `${JSON.stringify(line)}\n`).join("");
  writeFileSync(join(dirname(file), document.samples.path), samples);
  const signed = signResult(
    {
      ...document,
      samples: { ...document.samples, sha256: sha256Hex(samples), count: lines.length },
    },
    key,
  );
  writeFileSync(file, `${JSON.stringify(signed, null, 2)}\n`);
  return file;
}

/** Writes `results/trusted-keys.json` trusting `key` as `owner`. */
export function writeTrustList(resultsDir: string, key: SigningKey, owner: string): void {
  mkdirSync(resultsDir, { recursive: true });
  const trust = { schemaVersion: 1, keys: [{ keyId: key.keyId, publicKey: key.publicKey, owner }] };
  writeFileSync(join(resultsDir, "trusted-keys.json"), `${JSON.stringify(trust, null, 2)}\n`);
}
