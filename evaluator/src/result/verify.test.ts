import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, writeFiles } from "../../test/helpers.ts";
import type { ResultDocument } from "../generated/result.ts";
import type { TrustList } from "../generated/trust.ts";
import {
  runId,
  samplesName,
  samplesText,
  testKey,
  unsignedDocument,
  writeResultText,
} from "./fixtures/documents.ts";
import type { SigningKey } from "./keys.ts";
import { signResult, type UnsignedResult } from "./sign.ts";
import { resultsRootFor, scanResultFiles, verifyResultFile } from "./verify.ts";

let tmp: string;
let cleanup: () => void;
let key: SigningKey;
let trust: TrustList;
beforeAll(() => {
  ({ dir: tmp, cleanup } = tempDir("bench-verify-"));
  key = testKey();
  trust = { schemaVersion: 1, keys: [{ keyId: key.keyId, publicKey: key.publicKey, owner: "CI" }] };
});
afterAll(() => cleanup());

let counter = 0;
/** A fresh, empty results folder. */
function resultsFolder(): string {
  counter += 1;
  const dir = join(tmp, `results-${counter}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The signed fixture document, after `change` made to it before signing. */
function signed(change: (document: UnsignedResult) => void = () => {}): ResultDocument {
  const document = unsignedDocument();
  change(document);
  return JSON.parse(JSON.stringify(signResult(document, key)));
}

const compact = (document: unknown) => JSON.stringify(document);
const verifyIn = (root: string, file: string) => verifyResultFile(file, trust, { root });

it("trusts the untouched fixture (so every invalid case below is caused by its one change)", () => {
  const root = resultsFolder();
  const file = writeResultText(root, compact(signed()));
  expect(verifyIn(root, file)).toMatchObject({ status: "trusted", problems: [] });
});

describe("hidden characters", () => {
  it.each([
    [
      "a bidi override in the model name",
      (d: UnsignedResult) => {
        d.model.name = "tiny\u202Egnp.exe";
      },
      "$.model.name: contains U+202E at character 4",
    ],
    [
      "a line break in the suite name",
      (d: UnsignedResult) => {
        d.suite.name = "Demo\nTrusted";
      },
      "$.suite.name: contains U+000A at character 4",
    ],
    [
      "a zero-width space in a task id",
      (d: UnsignedResult) => {
        (d.scores[0] as { task: string }).task = "mc\u200B";
      },
      "$.scores[0].task: contains U+200B at character 2",
    ],
    [
      "a control character in the signer name",
      (d: UnsignedResult) => {
        d.environment.cpu.model = "x\u0007";
      },
      "$.environment.cpu.model: contains U+0007 at character 1",
    ],
  ])("rejects %s, even under a valid trusted signature", (_, change, problem) => {
    const root = resultsFolder();
    const file = writeResultText(root, compact(signed(change)));
    expect(verifyIn(root, file)).toMatchObject({
      status: "invalid",
      code: "E_SCHEMA",
      problems: [
        `${file}: ${problem} (expected plain one-line text: no control, bidi or invisible characters)`,
      ],
    });
  });
});

describe("repeated keys", () => {
  it("rejects a document whose raw text shows another score than JSON.parse keeps", () => {
    const root = resultsFolder();
    const text = compact(signed()).replace('"value":0.5', '"value":0.99,"value":0.5');
    // JSON.parse keeps the last value, so the signature still matches what it sees.
    expect(JSON.parse(text).scores[0].value).toBe(0.5);
    const file = writeResultText(root, text);
    const column = text.indexOf('"value":0.5') + 1;
    expect(verifyIn(root, file)).toEqual({
      file,
      status: "invalid",
      code: "E_JSON",
      problems: [
        `${file}: $.scores[0].value: is a duplicate key at 1:${column} (readers disagree on which value counts; keep one)`,
      ],
    });
  });

  it("rejects a repeated signature value, naming its path", () => {
    const root = resultsFolder();
    const document = signed();
    const text = compact(document).replace(
      `"value":"${document.signature?.value}"`,
      `"value":"${"A".repeat(86)}==","value":"${document.signature?.value}"`,
    );
    const file = writeResultText(root, text);
    expect(verifyIn(root, file).problems).toEqual([
      expect.stringMatching(
        new RegExp(`^${file}: \\$\\.signature\\.value: is a duplicate key at 1:\\d+ \\(`),
      ),
    ]);
  });

  it("reports a syntax error with line and column and without the file's content", () => {
    const root = resultsFolder();
    const file = writeResultText(root, '{\n  "schemaVersion": 1,\n  "kind": "bench.result" "x"\n}');
    expect(verifyIn(root, file).problems).toEqual([
      `${file}: is not valid JSON (3:26: unexpected '"', expected ',' or '}')`,
    ]);
  });
});

describe("canonical base64 in the signature", () => {
  /** `text` with its character at `index` replaced by the next one in the alphabet. */
  const bumpAt = (text: string, index: number) =>
    `${text.slice(0, index)}${String.fromCharCode(text.charCodeAt(index) + 1)}${text.slice(index + 1)}`;
  const spell = (field: "value" | "publicKey", respell: (canonical: string) => string) => ({
    field,
    respell,
  });
  const valueProblem = (reason: string) =>
    `$.signature.value: is not canonical base64 of exactly 64 bytes (${reason})`;
  const keyProblem = (reason: string) =>
    `$.signature.publicKey: is not canonical base64 of exactly 32 bytes (${reason})`;
  const badCharacters =
    "it has characters other than A-Z, a-z, 0-9, '+', '/' and '=' padding at the end";

  it.each([
    [
      "a line break inside the value",
      spell("value", (v) => `${v.slice(0, 40)}\n${v.slice(40)}`),
      valueProblem(badCharacters),
    ],
    [
      "a value without padding",
      spell("value", (v) => v.replace(/=+$/, "")),
      valueProblem("it is 86 characters long, expected 88"),
    ],
    ["junk after the padding", spell("value", (v) => `${v}AAAA`), valueProblem(badCharacters)],
    [
      "an extra group of characters",
      spell("value", (v) => `AAAA${v}`),
      valueProblem("it is 92 characters long, expected 88"),
    ],
    [
      "a base64url value",
      spell("value", (v) => `${v.slice(0, 84)}-_==`),
      valueProblem(badCharacters),
    ],
    [
      "a value whose unused bits are set (the same bytes, another spelling)",
      spell("value", (v) => bumpAt(v, 85)),
      valueProblem("its padding or unused bits differ from the canonical spelling"),
    ],
    [
      "a value of 66 bytes, 88 characters without padding",
      spell("value", () => Buffer.alloc(66, 1).toString("base64")),
      valueProblem("it decodes to 66 bytes"),
    ],
    [
      "a public key with a space",
      spell("publicKey", (k) => ` ${k.slice(1)}`),
      keyProblem(badCharacters),
    ],
    [
      "a public key without padding",
      spell("publicKey", (k) => k.slice(0, -1)),
      keyProblem("it is 43 characters long, expected 44"),
    ],
    [
      "a public key whose unused bits are set",
      spell("publicKey", (k) => bumpAt(k, 42)),
      keyProblem("its padding or unused bits differ from the canonical spelling"),
    ],
    [
      "a public key of 33 bytes",
      spell("publicKey", () => Buffer.alloc(33, 1).toString("base64")),
      keyProblem("it decodes to 33 bytes"),
    ],
  ])("rejects %s, naming the path", (_, { field, respell }, problem) => {
    const root = resultsFolder();
    const document = signed();
    const signature = document.signature as NonNullable<ResultDocument["signature"]>;
    const canonical = signature[field];
    const other = respell(canonical);
    expect(other).not.toBe(canonical);
    signature[field] = other;
    const file = writeResultText(root, compact(document));
    expect(verifyIn(root, file)).toEqual({
      file,
      status: "invalid",
      code: "E_SCHEMA",
      problems: [`${file}: ${problem}`],
    });
  });

  it("rejects another spelling of the same signature bytes, which Buffer.from accepts", () => {
    const root = resultsFolder();
    const document = signed();
    const signature = document.signature as NonNullable<ResultDocument["signature"]>;
    const respelt = `${signature.value.slice(0, 85)}${String.fromCharCode(signature.value.charCodeAt(85) + 1)}==`;
    expect(Buffer.from(respelt, "base64")).toEqual(Buffer.from(signature.value, "base64"));
    signature.value = respelt;
    const file = writeResultText(root, compact(document));
    expect(verifyIn(root, file).status).toBe("invalid");
  });
});

describe("identity is the path", () => {
  it.each([
    [
      "another org",
      "evil/tiny/demo",
      `${runId}.json`,
      '$.model.id: "acme/tiny" does not match the file\'s path (expected "evil/tiny", from its <org>/<model> folders)',
    ],
    [
      "another model",
      "acme/huge/demo",
      `${runId}.json`,
      '$.model.id: "acme/tiny" does not match the file\'s path (expected "acme/huge", from its <org>/<model> folders)',
    ],
    [
      "another suite",
      "acme/tiny/other",
      `${runId}.json`,
      '$.suite.id: "demo" does not match the file\'s path (expected "other", from its <suite> folder)',
    ],
    [
      "another run",
      "acme/tiny/demo",
      "later-run.json",
      `$.run.id: "${runId}" does not match the file's path (expected "later-run", from its file name)`,
    ],
  ])("rejects a result filed under %s", (_, folder, name, problem) => {
    const root = resultsFolder();
    const file = writeResultText(root, compact(signed()), { folder, name });
    expect(verifyIn(root, file)).toMatchObject({
      status: "invalid",
      code: "E_RESULT_PATH",
      problems: [`${file}: ${problem}`],
    });
  });

  it.each([
    ["too shallow", "acme/tiny"],
    ["too deep", "extra/acme/tiny/demo"],
  ])("rejects a result %s below the results folder", (_, folder) => {
    const root = resultsFolder();
    const file = writeResultText(root, compact(signed()), { folder });
    expect(verifyIn(root, file).problems).toEqual([
      `${file}: is not at <org>/<model>/<suite>/<run>.json below the results folder ${root} (a result's path names what it measured)`,
    ]);
  });

  it("rejects a result outside the results folder", () => {
    const root = resultsFolder();
    const file = writeResultText(resultsFolder(), compact(signed()));
    expect(verifyIn(root, file).problems).toEqual([
      `${file}: is not at <org>/<model>/<suite>/<run>.json below the results folder ${root} (a result's path names what it measured)`,
    ]);
  });
});

describe("the samples file", () => {
  it.each([
    ["a path out of the results folder", "../../../../secret.txt"],
    ["an absolute path", "/etc/passwd"],
    ["another file beside the document", "other.samples.jsonl"],
    ["a subfolder", `sub/${samplesName}`],
  ])("is never read from %s", (_, path) => {
    const root = resultsFolder();
    // What the path points at has the digest the document claims, so reading it would pass.
    writeFileSync(join(root, "..", "secret.txt"), samplesText);
    const file = writeResultText(
      root,
      compact(
        signed((d) => {
          d.samples.path = path;
        }),
      ),
    );
    writeFiles(join(file, ".."), {
      "other.samples.jsonl": samplesText,
      [`sub/${samplesName}`]: samplesText,
    });
    expect(verifyIn(root, file)).toMatchObject({
      status: "invalid",
      code: "E_SIGNATURE",
      problems: [
        `${file}: $.samples.path: ${JSON.stringify(path)} is not allowed (expected "${samplesName}", beside the document)`,
      ],
    });
  });

  it("must be a regular file, not a symbolic link to one with the same content", () => {
    const root = resultsFolder();
    const elsewhere = join(root, "..", `elsewhere-${counter}.jsonl`);
    writeFileSync(elsewhere, samplesText);
    const file = writeResultText(root, compact(signed()), { samples: "" });
    const samples = join(file, "..", samplesName);
    execFileSync("rm", [samples]);
    symlinkSync(elsewhere, samples);
    expect(verifyIn(root, file).problems).toEqual([
      `${file}: $.samples.path: ${relative(process.cwd(), samples)} is a symbolic link (expected a regular file)`,
    ]);
  });
});

describe("files that are not regular", () => {
  it("rejects a result that is a symbolic link", () => {
    const root = resultsFolder();
    const real = writeResultText(root, compact(signed()));
    const link = join(real, "..", "linked.json");
    symlinkSync(real, link);
    expect(verifyIn(root, link)).toEqual({
      file: link,
      status: "invalid",
      code: "E_NOT_A_FILE",
      problems: [`${link}: is a symbolic link (a result must be a regular file)`],
    });
  });

  it("rejects a FIFO without waiting on it", () => {
    const root = resultsFolder();
    const fifo = join(root, "acme/tiny/demo/fifo.json");
    mkdirSync(join(fifo, ".."), { recursive: true });
    execFileSync("mkfifo", [fifo]);
    expect(verifyIn(root, fifo).problems).toEqual([
      `${fifo}: is not a regular file (a result must be a regular file)`,
    ]);
  });

  it("rejects a result reached through a symbolic link to a folder outside the results", () => {
    const root = resultsFolder();
    const outside = resultsFolder();
    writeResultText(outside, compact(signed()));
    symlinkSync(join(outside, "acme"), join(root, "acme"));
    const file = join(root, "acme/tiny/demo", `${runId}.json`);
    expect(verifyIn(root, file).problems).toEqual([
      `${file}: leaves the results folder ${root} through a symbolic link`,
    ]);
  });
});

describe("scanResultFiles", () => {
  it("lists regular result files and skips links and special files, with the reason", () => {
    const root = resultsFolder();
    const outside = resultsFolder();
    writeResultText(outside, compact(signed()));
    const kept = writeResultText(root, compact(signed()));
    symlinkSync(join(outside, "acme"), join(root, "linked-org"));
    symlinkSync(kept, join(kept, "..", "alias.json"));
    symlinkSync(join(outside, "acme"), join(root, ".hidden-link"));
    execFileSync("mkfifo", [join(root, "acme/tiny/demo/pipe.json")]);
    execFileSync("mkfifo", [join(root, "acme/tiny/demo/pipe.txt")]);
    expect(scanResultFiles(root)).toEqual({
      files: [kept],
      skipped: [
        {
          path: join(root, "acme/tiny/demo/alias.json"),
          reason: "is a symbolic link (not followed)",
        },
        {
          path: join(root, "acme/tiny/demo/pipe.json"),
          reason: "is not a regular file (not read)",
        },
        { path: join(root, "linked-org"), reason: "is a symbolic link (not followed)" },
      ],
    });
  });
});

describe("resultsRootFor", () => {
  it("is three folders above a result file's own folder", () => {
    const root = resultsFolder();
    const file = writeResultText(root, compact(signed()));
    expect(resultsRootFor(file)).toBe(root);
  });

  it("is the nearest folder at or above a given folder that holds the trust list", () => {
    const root = resultsFolder();
    writeResultText(root, compact(signed()));
    writeFileSync(join(root, "trusted-keys.json"), '{"schemaVersion": 1, "keys": []}');
    expect(resultsRootFor(join(root, "acme/tiny"))).toBe(root);
    expect(resultsRootFor(root)).toBe(root);
  });

  it("is the folder itself when no trust list is near", () => {
    const root = resultsFolder();
    writeResultText(root, compact(signed()));
    expect(resultsRootFor(join(root, "acme"))).toBe(join(root, "acme"));
  });
});
