import { generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, writeFiles } from "../../test/helpers.ts";
import { BenchError } from "../errors/index.ts";
import type { ResultDocument } from "../generated/result.ts";
import type { TrustList } from "../generated/trust.ts";
import { canonicalize, sha256Hex } from "./canonical.ts";
import {
  samplesName,
  samplesText,
  testKey,
  unsignedDocument,
  writeResultText,
} from "./fixtures/documents.ts";
import { keyIdOf, loadSigningKey, rawPublicKey, type SigningKey } from "./keys.ts";
import { signatureMatches, signResult } from "./sign.ts";
import { loadTrustList } from "./trust-list.ts";
import { listResultFiles, verifyResultFile as verifyIn } from "./verify.ts";

let root: string;
let cleanup: () => void;
let key: SigningKey;
const noTrust: TrustList = { schemaVersion: 1, keys: [] };
beforeAll(() => {
  ({ dir: root, cleanup } = tempDir("bench-sign-"));
  key = testKey();
});
afterAll(() => cleanup());

let counter = 0;
/** Writes `document` (or raw text) and its samples to a fresh results folder; returns the document's path. */
function writeResult(document: unknown, options: { text?: string; samples?: string } = {}): string {
  counter += 1;
  return writeResultText(
    join(root, `case-${counter}`),
    options.text ?? `${JSON.stringify(document, null, 2)}\n`,
    options.samples === undefined ? {} : { samples: options.samples },
  );
}

/** Verifies a document written by `writeResult`, against the results folder it was written to. */
function verifyResultFile(file: string, trust: TrustList) {
  return verifyIn(file, trust, { root: join(file, "../../../..") });
}

/** A signed document as it comes back from disk: plain JSON, free to mutate. */
function signedCopy(signingKey: SigningKey = key): ResultDocument {
  return JSON.parse(JSON.stringify(signResult(unsignedDocument(), signingKey)));
}

/** Recursively reverses the key order of every object. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reverseKeys(v)]),
  );
}

/** Sets the value at `path` (keys and indexes) inside `target`, which must exist up to its parent. */
function setIn(target: unknown, path: readonly (string | number)[], value: unknown): void {
  const parents = path.slice(0, -1);
  let node = target as Record<string | number, unknown>;
  for (const part of parents) node = node[part] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = value;
}

const tamperedLine = (file: string) =>
  `${file}: $.signature.value: does not match the document (it was changed after signing, or signed by another key)`;

describe("canonicalize (RFC 8785)", () => {
  it.each([
    ["sorts keys and formats numbers", { b: 1, a: [1e21, 0.1, -0] }, '{"a":[1e+21,0.1,0],"b":1}'],
    [
      "sorts nested keys by UTF-16 code units",
      { "\u20ac": 1, "\r": 2, "1": 3, "\u0080": 4, "\ud83d\ude00": 5, "\ufb33": 6, "\u00f6": 7 },
      '{"\\r":2,"1":3,"\u0080":4,"\u00f6":7,"\u20ac":1,"\ud83d\ude00":5,"\ufb33":6}',
    ],
    [
      "writes numbers in the ECMAScript shortest form",
      [333333333.3333333, 1e-7, 0.000001, 1.5e300, 9007199254740992, 4.5, 2e-3, 1e30, 0x10],
      "[333333333.3333333,1e-7,0.000001,1.5e+300,9007199254740992,4.5,0.002,1e+30,16]",
    ],
    ["escapes only what JSON requires", ['\u000f\u20ac$"\\/\n'], '["\\u000f\u20ac$\\"\\\\/\\n"]'],
    [
      "drops undefined properties",
      { a: undefined, b: { d: null, c: true } },
      '{"b":{"c":true,"d":null}}',
    ],
  ])("%s", (_, value, expected) => {
    expect(canonicalize(value)).toBe(expected);
  });

  it.each([
    ["NaN", Number.NaN, "NaN is not allowed"],
    ["Infinity", { a: Number.POSITIVE_INFINITY }, "Infinity is not allowed"],
    ["undefined", undefined, "value has no JSON form"],
  ])("rejects %s", (_, value, message) => {
    expect(() => canonicalize(value)).toThrow(message);
  });
});

describe("signResult and verifyResultFile", () => {
  it("signs a document whose signature matches and which verifies as untrusted without a trust list", () => {
    const signed = signResult(unsignedDocument(), key);
    expect(signed.signature).toEqual({
      algorithm: "Ed25519",
      canonicalization: "RFC8785",
      keyId: key.keyId,
      publicKey: key.publicKey,
      signer: { kind: "local" },
      value: expect.stringMatching(/^[A-Za-z0-9+/]{86}==$/),
    });
    expect(signatureMatches(signed)).toBe(true);
    const file = writeResult(signed);
    expect(verifyResultFile(file, noTrust)).toEqual({
      file,
      status: "untrusted",
      problems: [],
      document: signed,
      signer: { keyId: key.keyId, kind: "local" },
    });
  });

  it("verifies as trusted, with the owner, when the key is in the trust list", () => {
    const file = writeResult(signResult(unsignedDocument(), key));
    const dir = join(root, `case-${counter}`);
    const trust: TrustList = {
      schemaVersion: 1,
      keys: [{ keyId: key.keyId, publicKey: key.publicKey, owner: "Bench CI" }],
    };
    writeFiles(dir, { "trusted-keys.json": JSON.stringify(trust) });
    const loaded = loadTrustList(dir);
    expect(loaded).toEqual(trust);
    const result = verifyResultFile(file, loaded);
    expect(result.status).toBe("trusted");
    expect(result.problems).toEqual([]);
    expect(result.signer).toEqual({ keyId: key.keyId, kind: "local", owner: "Bench CI" });
  });

  it("does not trust an entry with the right keyId but another publicKey", () => {
    const file = writeResult(signResult(unsignedDocument(), key));
    const stranger = testKey();
    const trust: TrustList = {
      schemaVersion: 1,
      keys: [{ keyId: key.keyId, publicKey: stranger.publicKey, owner: "Impostor" }],
    };
    const result = verifyResultFile(file, trust);
    expect(result.status).toBe("untrusted");
    expect(result.signer).toEqual({ keyId: key.keyId, kind: "local" });
  });

  it("still verifies after re-serialising with other indentation, reversed key order and other number spellings", () => {
    const signed = signedCopy();
    const text = JSON.stringify(reverseKeys(signed), null, "\t")
      .replace('"value": 0.5', '"value": 5e-1')
      .replace('"wallSeconds": 1.25', '"wallSeconds": 1.250');
    expect(text).toContain('"value": 5e-1');
    expect(text).toContain('"wallSeconds": 1.250');
    const file = writeResult(undefined, { text });
    expect(Object.keys(JSON.parse(readFileSync(file, "utf8")))[0]).toBe("signature");
    const result = verifyResultFile(file, noTrust);
    expect(result.problems).toEqual([]);
    expect(result.status).toBe("untrusted");
  });

  it.each([
    ["a score value", ["scores", 0, "value"], 0.75],
    ["a score stderr", ["scores", 0, "stderr"], 0.25],
    ["a score's n", ["scores", 0, "n"], 3],
    ["a measured figure", ["performance", "measured", "wallSeconds"], 1.5],
    ["model.parameters", ["model", "parameters"], 260001],
    ["a string deep inside", ["environment", "cpu", "model"], "Other CPU"],
    ["the signer kind", ["signature", "signer", "kind"], "maintainer"],
    ["an added optional field", ["model", "variant"], { quant: "q8" }],
  ])("marks a document invalid when %s changed after signing", (_, path, value) => {
    const document = signedCopy();
    setIn(document, path, value);
    const file = writeResult(document);
    const result = verifyResultFile(file, noTrust);
    expect(result.status).toBe("invalid");
    expect(result.problems).toEqual([tamperedLine(file)]);
  });

  it("marks a document invalid when its samples file changed", () => {
    const changed = samplesText.replace('"acc":0', '"acc":1');
    const file = writeResult(signedCopy(), { samples: changed });
    const samples = relative(process.cwd(), join(file, "..", samplesName));
    const result = verifyResultFile(file, noTrust);
    expect(result.status).toBe("invalid");
    expect(result.problems).toEqual([
      `${file}: $.samples.sha256: ${samples} has sha256 ${sha256Hex(changed)} (expected ${sha256Hex(samplesText)}); the samples were changed`,
    ]);
  });

  it("marks a document invalid when its samples file is gone", () => {
    const file = writeResult(signedCopy());
    const samplesFile = join(file, "..", samplesName);
    rmSync(samplesFile);
    const result = verifyResultFile(file, noTrust);
    expect(result.status).toBe("invalid");
    expect(result.problems).toEqual([
      `${file}: $.samples.path: ${relative(process.cwd(), samplesFile)} is missing`,
    ]);
  });

  it("reports a keyId that does not belong to the public key", () => {
    const liar: SigningKey = { ...key, keyId: "0123456789abcdef" };
    const signed = signResult(unsignedDocument(), liar);
    expect(signatureMatches(signed)).toBe(true);
    const file = writeResult(signed);
    const result = verifyResultFile(file, {
      schemaVersion: 1,
      keys: [{ keyId: "0123456789abcdef", publicKey: key.publicKey, owner: "Someone" }],
    });
    expect(result.status).toBe("invalid");
    expect(result.problems).toEqual([
      `${file}: $.signature.keyId: 0123456789abcdef does not belong to $.signature.publicKey`,
    ]);
  });

  it("reports a signature made by another key than the embedded public key", () => {
    const document = signedCopy();
    const other = testKey();
    (document.signature as { publicKey: string; keyId: string }).publicKey = other.publicKey;
    (document.signature as { publicKey: string; keyId: string }).keyId = other.keyId;
    const file = writeResult(document);
    expect(verifyResultFile(file, noTrust).problems).toEqual([tamperedLine(file)]);
  });

  it("reports an unsigned document", () => {
    const file = writeResult(unsignedDocument());
    const result = verifyResultFile(file, noTrust);
    expect(result.status).toBe("invalid");
    expect(result.problems).toEqual([
      `${file}: $.signature: is missing (the document is unsigned)`,
    ]);
  });

  it("reports a file that is not JSON", () => {
    const file = writeResult(undefined, { text: '{"schemaVersion": 1,' });
    const result = verifyResultFile(file, noTrust);
    expect(result.status).toBe("invalid");
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(
      new RegExp(`^${file.replaceAll(".", "\\.")}: is not valid JSON \\(.+\\)$`),
    );
  });

  it("reports a document that breaks the schema", () => {
    const document = { ...signedCopy(), kind: "bench.other" };
    const file = writeResult(document);
    const result = verifyResultFile(file, noTrust);
    expect(result.status).toBe("invalid");
    expect(result.problems).toEqual([
      `${file}: $.kind: "bench.other" is not allowed (expected "bench.result")`,
    ]);
  });
});

describe("loadTrustList", () => {
  it("is empty when the results folder has no trust list", () => {
    expect(loadTrustList(join(root, "no-such-folder"))).toEqual(noTrust);
  });

  it.each([
    ["not JSON", "{", "E_JSON", /^<tmp>\/trust-\d+\/trusted-keys\.json: is not valid JSON \(.+\)$/],
    [
      "a malformed keyId",
      JSON.stringify({
        schemaVersion: 1,
        keys: [{ keyId: "XYZ", publicKey: `${"A".repeat(43)}=`, owner: "a" }],
      }),
      "E_SCHEMA",
      /^<tmp>\/trust-\d+\/trusted-keys\.json: \$\.keys\[0\]\.keyId: "XYZ" is malformed \(expected 16 lowercase hex characters\)$/,
    ],
  ])("rejects a trust list that is %s", (_, text, code, message) => {
    counter += 1;
    const dir = join(root, `trust-${counter}`);
    writeFiles(dir, { "trusted-keys.json": text });
    let caught: unknown;
    try {
      loadTrustList(dir);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BenchError);
    expect((caught as BenchError).code).toBe(code);
    expect((caught as BenchError).message.replaceAll(root, "<tmp>")).toMatch(message);
  });
});

describe("loadSigningKey", () => {
  it("creates a local key under BENCH_HOME with mode 0600 and reuses it", () => {
    counter += 1;
    const home = join(root, `home-${counter}`);
    const first = loadSigningKey({ env: { BENCH_HOME: home } });
    const file = join(home, "keys", "local-ed25519.pem");
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.signer).toEqual({ kind: "local" });
    expect(first.source).toBe(file);
    expect(first.keyId).toBe(keyIdOf(first.publicKey));
    const second = loadSigningKey({ env: { BENCH_HOME: home } });
    expect(second.keyId).toBe(first.keyId);
    expect(second.publicKey).toBe(first.publicKey);
  });

  it("reads BENCH_SIGNING_KEY as a CI key", () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    counter += 1;
    const home = join(root, `home-${counter}`);
    const loaded = loadSigningKey({ env: { BENCH_HOME: home, BENCH_SIGNING_KEY: pem } });
    expect(loaded.signer).toEqual({ kind: "ci" });
    expect(loaded.source).toBe("BENCH_SIGNING_KEY");
    expect(loaded.publicKey).toBe(rawPublicKey(privateKey));
    expect(existsSync(join(home, "keys"))).toBe(false);
    const named = loadSigningKey({
      env: { BENCH_HOME: home, BENCH_SIGNING_KEY: pem, BENCH_SIGNER_NAME: "release" },
    });
    expect(named.signer).toEqual({ kind: "ci", name: "release" });
  });

  it("reads --key as a maintainer key", () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    counter += 1;
    const file = join(root, `maintainer-${counter}.pem`);
    writeFileSync(file, privateKey.export({ format: "pem", type: "pkcs8" }));
    const loaded = loadSigningKey({ keyFile: file, env: { BENCH_HOME: join(root, "unused") } });
    expect(loaded.signer).toEqual({ kind: "maintainer" });
    expect(loaded.source).toBe(`--key ${file}`);
  });

  it.each([
    [
      "garbage in BENCH_SIGNING_KEY",
      () => ({ env: { BENCH_SIGNING_KEY: "not a key" } }),
      "BENCH_SIGNING_KEY: not a PEM private key",
    ],
    [
      "an RSA key in BENCH_SIGNING_KEY",
      () => ({
        env: {
          BENCH_SIGNING_KEY: generateKeyPairSync("rsa", { modulusLength: 2048 })
            .privateKey.export({ format: "pem", type: "pkcs8" })
            .toString(),
        },
      }),
      "BENCH_SIGNING_KEY: is a rsa key (expected ed25519)",
    ],
    [
      "an unknown BENCH_SIGNER_KIND",
      () => ({ env: { BENCH_HOME: join(root, "home-kind"), BENCH_SIGNER_KIND: "robot" } }),
      'BENCH_SIGNER_KIND: "robot" is not a signer kind (expected one of: local, ci, maintainer)',
    ],
    [
      "a --key file that does not exist",
      () => ({ keyFile: join(root, "absent.pem"), env: {} }),
      "--key: <tmp>/absent.pem does not exist",
    ],
  ])("rejects %s with E_KEY", (_, options, message) => {
    let caught: unknown;
    try {
      loadSigningKey(options());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BenchError);
    expect((caught as BenchError).code).toBe("E_KEY");
    expect((caught as BenchError).message.replaceAll(root, "<tmp>")).toBe(message);
  });
});

describe("listResultFiles", () => {
  it("lists result documents only, sorted, skipping the trust list, samples and hidden folders", () => {
    const dir = join(root, "listing");
    writeFiles(dir, {
      "trusted-keys.json": "{}",
      "zeta/tiny/demo/run.json": "{}",
      "zeta/tiny/demo/run.samples.jsonl": "",
      "acme/tiny/demo/b.json": "{}",
      "acme/tiny/demo/a.json": "{}",
      "acme/tiny/demo/a.samples.jsonl": "",
      "acme/README.md": "",
      ".git/config.json": "{}",
      "acme/.cache/x.json": "{}",
    });
    expect(listResultFiles(dir).map((f) => relative(dir, f))).toEqual([
      "acme/tiny/demo/a.json",
      "acme/tiny/demo/b.json",
      "zeta/tiny/demo/run.json",
    ]);
  });

  it("is empty for a folder that does not exist", () => {
    expect(listResultFiles(join(root, "no-results"))).toEqual([]);
  });
});
