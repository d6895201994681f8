import { symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureIo, tempDir } from "../../../test/helpers.ts";
import { BenchError } from "../../errors/index.ts";
import {
  runId,
  testKey,
  unsignedDocument,
  writeResultText,
} from "../../result/fixtures/documents.ts";
import type { SigningKey } from "../../result/keys.ts";
import { signResult } from "../../result/sign.ts";
import { verifyCommand } from "./verify.ts";

let tmp: string;
let cleanup: () => void;
let trusted: SigningKey;
let results: string;
let trustFile: string;
let duplicateColumn: number;
beforeAll(() => {
  ({ dir: tmp, cleanup } = tempDir("bench-verify-cli-"));
  trusted = testKey();
  results = join(tmp, "results");
  const text = JSON.stringify(signResult(unsignedDocument(), trusted));
  writeResultText(results, text);
  // The same signed document filed under another model, and one with a repeated key.
  writeResultText(results, text, { folder: "acme/huge/demo" });
  const repeated = text.replace('"n":2', '"n":3,"n":2');
  duplicateColumn = repeated.indexOf('"n":2') + 1;
  writeResultText(results, repeated, { folder: "acme/dup/demo" });
  symlinkSync(join(results, "acme/tiny"), join(results, "acme/alias"));
  trustFile = join(results, "trusted-keys.json");
  writeFileSync(
    trustFile,
    JSON.stringify({
      schemaVersion: 1,
      keys: [{ keyId: trusted.keyId, publicKey: trusted.publicKey, owner: "CI" }],
    }),
  );
});
afterAll(() => cleanup());

async function verify(...argv: string[]) {
  const capture = captureIo();
  const code = await verifyCommand(argv, capture.io, {});
  return { code, stdout: capture.stdout().replaceAll(tmp, "<tmp>") };
}

describe("bench verify", () => {
  it("prints one line per problem, naming the file and JSON path, and the skipped entries", async () => {
    const result = await verify(results, "--trust", trustFile);
    expect(result.stdout).toBe(
      [
        `TAMPERED   <tmp>/results/acme/dup/demo/${runId}.json: $.scores[0].n: is a duplicate key at 1:${duplicateColumn} (readers disagree on which value counts; keep one)`,
        `TAMPERED   <tmp>/results/acme/huge/demo/${runId}.json: $.model.id: "acme/tiny" does not match the file's path (expected "acme/huge", from its <org>/<model> folders)`,
        `trusted    <tmp>/results/acme/tiny/demo/${runId}.json (key ${trusted.keyId}, CI)`,
        "skipped    <tmp>/results/acme/alias: is a symbolic link (not followed)",
        "3 checked: 1 trusted, 0 untrusted, 2 invalid",
        "",
      ].join("\n"),
    );
    expect(result.code).toBe(1);
  });

  it("lists the same problems and the skipped entries with --json", async () => {
    const result = await verify(results, "--trust", trustFile, "--json");
    const reports = JSON.parse(result.stdout) as { file: string; status: string }[];
    expect(reports.map(({ file, status }) => [file.replace(/^.*\/results\//, ""), status])).toEqual(
      [
        [`acme/dup/demo/${runId}.json`, "invalid"],
        [`acme/huge/demo/${runId}.json`, "invalid"],
        [`acme/tiny/demo/${runId}.json`, "trusted"],
        ["acme/alias", "skipped"],
      ],
    );
    expect(reports[1]).toEqual({
      file: `<tmp>/results/acme/huge/demo/${runId}.json`,
      status: "invalid",
      code: "E_RESULT_PATH",
      problems: [
        `<tmp>/results/acme/huge/demo/${runId}.json: $.model.id: "acme/tiny" does not match the file's path (expected "acme/huge", from its <org>/<model> folders)`,
      ],
      signer: { keyId: trusted.keyId, kind: "local", owner: "CI" },
    });
    expect(reports[3]).toEqual({
      file: "<tmp>/results/acme/alias",
      status: "skipped",
      problems: ["<tmp>/results/acme/alias: is a symbolic link (not followed)"],
    });
  });

  it("checks a folder inside the results against the results folder that holds the trust list", async () => {
    const result = await verify(join(results, "acme/tiny"), "--trust", trustFile);
    expect(result.stdout).toContain(`trusted    <tmp>/results/acme/tiny/demo/${runId}.json`);
    expect(result.code).toBe(0);
  });

  it("keeps --allow-untrusted for valid results signed by other keys", async () => {
    const file = join(results, "acme/tiny/demo", `${runId}.json`);
    const strict = await verify(file);
    expect(strict.stdout).toContain(
      `untrusted  <tmp>/results/acme/tiny/demo/${runId}.json: signed by local key`,
    );
    expect(strict.code).toBe(1);
    expect((await verify(file, "--allow-untrusted")).code).toBe(0);
  });

  it("fails on a malformed trust list, naming the file and entry, instead of ignoring the entry", async () => {
    const broken = join(tmp, "broken-keys.json");
    writeFileSync(
      broken,
      JSON.stringify({
        schemaVersion: 1,
        keys: [{ keyId: "0123456789abcdef", publicKey: trusted.publicKey, owner: "CI" }],
      }),
    );
    let caught: unknown;
    try {
      await verify(results, "--trust", broken, "--allow-untrusted");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BenchError);
    const { code, message } = caught as BenchError;
    expect({ code, message: message.replaceAll(tmp, "<tmp>") }).toEqual({
      code: "E_KEY",
      message: `<tmp>/broken-keys.json: $.keys[0].keyId: 0123456789abcdef is not the key id of $.keys[0].publicKey (expected ${trusted.keyId})`,
    });
  });
});
