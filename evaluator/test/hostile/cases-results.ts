import { mkdirSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { trustFile } from "./baseline.ts";
import { type CaseContext, defineCases, writeRaw } from "./case.ts";
import { readText } from "./harness.ts";

type Json = Record<string, unknown>;

const documentOf = (c: CaseContext) => JSON.parse(readText(join(c.repo, c.base.result.document)));
const trustOf = (c: CaseContext) => JSON.parse(readText(join(c.repo, trustFile)));

/** Rewrites the signed result after `edit` (its signature no longer matches unless stated). */
function editDocument(c: CaseContext, edit: (d: Json) => void): void {
  const document = documentOf(c);
  edit(document);
  writeRaw(c, c.base.result.document, `${JSON.stringify(document, null, 2)}\n`);
}

function editTrust(c: CaseContext, edit: (key: Json) => void): void {
  const trust = trustOf(c);
  edit(trust.keys[0]);
  writeRaw(c, trustFile, `${JSON.stringify(trust, null, 2)}\n`);
}

const doc = (c: CaseContext) => c.base.result.document;
const verify = ["verify"] as const;

/** Moves the result and its samples (signature intact) to another place under results/. */
function moveResult(c: CaseContext, folder: string, runId = c.base.result.runId): void {
  mkdirSync(join(c.repo, folder), { recursive: true });
  renameSync(join(c.repo, doc(c)), join(c.repo, folder, `${runId}.json`));
  renameSync(
    join(c.repo, c.base.result.samples),
    join(c.repo, folder, `${c.base.result.runId}.samples.jsonl`),
  );
}

export const resultCases = defineCases([
  {
    name: "results: tampered score",
    setup: (c) =>
      editDocument(c, (d) => {
        (d.scores as Json[])[0] = { ...(d.scores as Json[])[0], value: 0.99 };
      }),
    args: verify,
    code: 1,
    mentions: (c) => [doc(c), "signature"],
  },
  {
    name: "results: duplicate JSON keys",
    setup: (c) => {
      const text = readText(join(c.repo, doc(c)));
      writeRaw(
        c,
        doc(c),
        text.replace('"schemaVersion": 1,', '"schemaVersion": 1,\n  "schemaVersion": 1,'),
      );
    },
    args: verify,
    code: 1,
    mentions: (c) => [doc(c), "schemaVersion"],
  },
  {
    name: "results: signature value in base64url",
    setup: (c) =>
      editDocument(c, (d) => {
        const signature = d.signature as Json;
        signature.value = Buffer.from(signature.value as string, "base64").toString("base64url");
      }),
    args: verify,
    code: 1,
    mentions: (c) => [doc(c), "$.signature.value"],
  },
  {
    name: "results: signature value of the wrong length",
    setup: (c) =>
      editDocument(c, (d) => {
        (d.signature as Json).value = Buffer.alloc(63, 7).toString("base64");
      }),
    args: verify,
    code: 1,
    mentions: (c) => [doc(c), "$.signature.value"],
  },
  {
    name: "results: signature value with whitespace inside",
    setup: (c) =>
      editDocument(c, (d) => {
        const value = (d.signature as Json).value as string;
        (d.signature as Json).value = `${value.slice(0, 40)}\n${value.slice(40)}`;
      }),
    args: verify,
    code: 1,
    mentions: (c) => [doc(c), "$.signature.value"],
  },
  {
    name: "results: samples.path leads to ../../etc/passwd",
    setup: (c) =>
      editDocument(c, (d) => {
        (d.samples as Json).path = "../../../../../../../../etc/passwd";
      }),
    args: verify,
    code: 1,
    mentions: (c) => [doc(c), "$.samples.path"],
  },
  {
    name: "results: samples file is a symlink to /dev/zero",
    setup: (c) => {
      rmSync(join(c.repo, c.base.result.samples));
      symlinkSync("/dev/zero", join(c.repo, c.base.result.samples));
    },
    args: verify,
    code: 1,
    mentions: (c) => [doc(c), "samples"],
  },
  {
    name: "results: samples file tampered",
    setup: (c) => {
      const text = readText(join(c.repo, c.base.result.samples));
      writeRaw(c, c.base.result.samples, text.replace(/"status":"ok"/, '"status":"error"'));
    },
    args: verify,
    code: 1,
    mentions: (c) => [doc(c), "samples"],
  },
  {
    name: "results: model id does not match the path (document moved, signature intact)",
    setup: (c) => moveResult(c, "results/bench/other-model/smoke"),
    args: verify,
    code: 1,
    mentions: ["results/bench/other-model/smoke", "$.model.id"],
  },
  {
    name: "results: suite id does not match the path (document moved, signature intact)",
    setup: (c) => moveResult(c, "results/bench/tiny-random-llama/arc-easy"),
    args: verify,
    code: 1,
    mentions: ["results/bench/tiny-random-llama/arc-easy", "$.suite.id"],
  },
  {
    name: "results: run id does not match the file name (signature intact)",
    setup: (c) => moveResult(c, dirname(doc(c)), "20990101T000000Z-000000"),
    args: verify,
    code: 1,
    mentions: ["20990101T000000Z-000000.json", "$.run.id"],
  },
  {
    name: "results: 200-deep nested JSON",
    setup: (c) =>
      editDocument(c, (d) => {
        let deep: unknown = 0;
        for (let i = 0; i < 200; i++) deep = { d: deep };
        d.extra = deep;
      }),
    args: verify,
    code: 1,
    mentions: (c) => [doc(c)],
  },
  {
    name: "results: 100,000-deep nested JSON array",
    setup: (c) => writeRaw(c, doc(c), `${"[".repeat(100_000)}${"]".repeat(100_000)}`),
    args: verify,
    code: 1,
    mentions: (c) => [doc(c)],
  },
  {
    name: "results: truncated JSON",
    setup: (c) => {
      const text = readText(join(c.repo, doc(c)));
      writeRaw(c, doc(c), text.slice(0, Math.floor(text.length / 2)));
    },
    args: verify,
    code: 1,
    mentions: (c) => [doc(c)],
  },
  {
    name: "results: NUL byte and bidi override in a string",
    setup: (c) =>
      editDocument(c, (d) => {
        (d.model as Json).name = "tiny\u0000\u202Eevil";
      }),
    args: verify,
    code: 1,
    mentions: (c) => [doc(c)],
  },
  {
    name: "results: __proto__ key",
    setup: (c) => {
      const text = readText(join(c.repo, doc(c)));
      writeRaw(
        c,
        doc(c),
        text.replace('"schemaVersion": 1,', '"__proto__": {"x": 1},\n  "schemaVersion": 1,'),
      );
    },
    args: verify,
    code: 1,
    mentions: (c) => [doc(c), "__proto__"],
  },
  {
    name: "results: a folder named like a result document",
    setup: (c) => mkdirSync(join(c.repo, dirname(doc(c)), "20990101T000000Z-000000.json")),
    args: verify,
    code: 0,
    mentions: (c) => [doc(c), "1 checked"],
  },
  {
    name: "results: symlink loop under results/",
    setup: (c) => symlinkSync("..", join(c.repo, dirname(doc(c)), "loop")),
    args: verify,
    code: 0,
    mentions: (c) => [`${dirname(doc(c))}/loop`, "1 checked"],
  },
  {
    name: "trust list: malformed publicKey",
    setup: (c) =>
      editTrust(c, (key) => {
        key.publicKey = "not-base64!";
      }),
    args: verify,
    code: 1,
    mentions: [trustFile, "$.keys[0].publicKey"],
  },
  {
    name: "trust list: publicKey of 31 bytes",
    setup: (c) =>
      editTrust(c, (key) => {
        key.publicKey = Buffer.alloc(31, 1).toString("base64");
      }),
    args: verify,
    code: 1,
    mentions: [trustFile, "$.keys[0].publicKey"],
  },
  {
    name: "trust list: keyId does not match its key",
    setup: (c) =>
      editTrust(c, (key) => {
        key.keyId = "0123456789abcdef";
      }),
    args: verify,
    code: 1,
    mentions: [trustFile, "$.keys[0].keyId"],
  },
  {
    name: "trust list: duplicate keys",
    setup: (c) => {
      const text = readText(join(c.repo, trustFile));
      writeRaw(
        c,
        trustFile,
        text.replace('"schemaVersion": 1,', '"schemaVersion": 1, "keys": [],'),
      );
    },
    args: verify,
    code: 1,
    mentions: [trustFile, "keys"],
  },
  {
    name: "trust list: truncated JSON",
    setup: (c) => writeRaw(c, trustFile, readText(join(c.repo, trustFile)).slice(0, 40)),
    args: verify,
    code: 1,
    mentions: [trustFile],
  },
  {
    name: "trust list: owner with a bidi override",
    setup: (c) =>
      editTrust(c, (key) => {
        key.owner = "Alice \u202Eecila";
      }),
    args: verify,
    code: 1,
    mentions: [trustFile, "$.keys[0].owner"],
  },
  {
    name: "trust list: --trust /dev/zero",
    args: ["verify", "--trust", "/dev/zero"],
    code: 1,
    mentions: ["/dev/zero"],
  },
  {
    name: "trust list: is a folder",
    setup: (c) => {
      rmSync(join(c.repo, trustFile));
      mkdirSync(join(c.repo, trustFile));
    },
    args: verify,
    code: 1,
    mentions: [trustFile],
  },
]);
