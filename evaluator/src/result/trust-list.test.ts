import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.ts";
import { BenchError } from "../errors/index.ts";
import { testKey } from "./fixtures/documents.ts";
import { keyIdOf } from "./keys.ts";
import { loadTrustListFile } from "./trust-list.ts";

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir("bench-trust-"));
});
afterAll(() => cleanup());

/** Three valid entries, so a case can break the third as in `$.keys[2]`. */
function entries() {
  return [testKey(), testKey(), testKey()].map((key, i) => ({
    keyId: key.keyId,
    publicKey: key.publicKey,
    owner: `owner ${i}`,
  }));
}
type Entry = ReturnType<typeof entries>[number];

let counter = 0;
function writeTrust(text: string): string {
  counter += 1;
  const file = join(dir, `trusted-keys-${counter}.json`);
  writeFileSync(file, text);
  return file;
}

function rejection(file: string): { code: string; message: string } {
  try {
    loadTrustListFile(file);
  } catch (error) {
    expect(error).toBeInstanceOf(BenchError);
    const { code, message } = error as BenchError;
    return { code, message: message.replaceAll(file, "<file>") };
  }
  throw new Error(`${file} loaded`);
}

const base64 = (reason: string) => `is not canonical base64 of exactly 32 bytes (${reason})`;

describe("loadTrustListFile", () => {
  it("loads a valid list", () => {
    const list = { schemaVersion: 1, keys: entries() };
    expect(loadTrustListFile(writeTrust(JSON.stringify(list)))).toEqual(list);
  });

  it.each([
    [
      "a public key with a line break",
      (key: string) => `${key.slice(0, 20)}\n${key.slice(20)}`,
      base64("it has characters other than A-Z, a-z, 0-9, '+', '/' and '=' padding at the end"),
    ],
    [
      "a public key without padding",
      (key: string) => key.slice(0, -1),
      base64("it is 43 characters long, expected 44"),
    ],
    [
      "a public key of 33 bytes",
      () => Buffer.alloc(33, 7).toString("base64"),
      base64("it decodes to 33 bytes"),
    ],
    ["an empty public key", () => "", base64("it is 0 characters long, expected 44")],
  ])("rejects %s, naming the entry", (_, respell, problem) => {
    const [first, second, third] = entries() as [Entry, Entry, Entry];
    const keys = [first, second, { ...third, publicKey: respell(third.publicKey) }];
    expect(rejection(writeTrust(JSON.stringify({ schemaVersion: 1, keys })))).toEqual({
      code: "E_SCHEMA",
      message: `<file>: $.keys[2].publicKey: ${problem}`,
    });
  });

  it("rejects a keyId that is not the key's own", () => {
    const keys = entries();
    const [first, second] = keys as [Entry, Entry, Entry];
    second.keyId = first.keyId;
    expect(rejection(writeTrust(JSON.stringify({ schemaVersion: 1, keys })))).toEqual({
      code: "E_KEY",
      message: [
        `<file>: $.keys[1].keyId: ${first.keyId} is not the key id of $.keys[1].publicKey (expected ${keyIdOf(second.publicKey)})`,
        `<file>: $.keys[1].keyId: ${first.keyId} is listed already at $.keys[0] (list each key once)`,
      ].join("\n"),
    });
  });

  it.each([
    ["owner", "Alice \u202Eecila", "U+202E at character 6"],
    ["owner", "Alice\nBob", "U+000A at character 5"],
    ["comment", "ok\u200B", "U+200B at character 2"],
    ["addedAt", "2026\u0000", "U+0000 at character 4"],
  ])(
    "rejects a hidden character in %s (%j), which could mislead a reviewer",
    (field, text, where) => {
      const keys: Record<string, string>[] = entries();
      (keys[1] as Record<string, string>)[field] = text;
      expect(rejection(writeTrust(JSON.stringify({ schemaVersion: 1, keys })))).toEqual({
        code: "E_KEY",
        message: `<file>: $.keys[1].${field}: contains ${where} (expected plain one-line text: no control, bidi or invisible characters)`,
      });
    },
  );

  it("rejects a key listed twice", () => {
    const keys = entries();
    keys[2] = { ...(keys[0] as Entry), owner: "someone else" };
    expect(rejection(writeTrust(JSON.stringify({ schemaVersion: 1, keys })))).toEqual({
      code: "E_KEY",
      message: `<file>: $.keys[2].keyId: ${keys[0]?.keyId} is listed already at $.keys[0] (list each key once)`,
    });
  });

  it("rejects a repeated JSON key, which could hide a list from a reviewer", () => {
    const text = `{"schemaVersion": 1, "keys": [], "keys": ${JSON.stringify(entries())}}`;
    expect(rejection(writeTrust(text))).toEqual({
      code: "E_JSON",
      message:
        "<file>: $.keys: is a duplicate key at 1:34 (readers disagree on which value counts; keep one)",
    });
  });

  it("rejects a file over 1 MiB", () => {
    const text = JSON.stringify({
      schemaVersion: 1,
      keys: entries(),
      comment: "x".repeat(1 << 20),
    });
    expect(rejection(writeTrust(text))).toEqual({
      code: "E_JSON",
      message: `<file>: is ${text.length} bytes, over the limit of 1048576 bytes for trust lists`,
    });
  });

  it("is empty when the file does not exist", () => {
    expect(loadTrustListFile(join(dir, "absent.json"))).toEqual({ schemaVersion: 1, keys: [] });
  });
});
