import { existsSync } from "node:fs";
import { join } from "node:path";
import { BenchError } from "../errors/index.ts";
import type { TrustList } from "../generated/trust.ts";
import { hiddenCharacterIn } from "../pure/text.ts";
import { validateEncoded } from "./encoded.ts";
import { keyIdOf } from "./keys.ts";
import { readStrictJsonFile } from "./strict-json.ts";

export const trustListName = "trusted-keys.json";

/** A trust list is a handful of keys; anything near this size is not one. */
const trustListMaxBytes = 1024 * 1024;

/** The trust list of a results folder (`<dir>/trusted-keys.json`); empty when there is none. */
export function loadTrustList(resultsDir: string): TrustList {
  return loadTrustListFile(join(resultsDir, trustListName));
}

/**
 * Reads a trust list strictly: JSON without repeated keys, the schema, every public key canonical
 * base64 of 32 bytes, every keyId that of its public key, no keyId listed twice. Any problem throws
 * one error naming the file and the JSON path of each entry at fault, so a broken entry never
 * silently drops out (or lets a key in). A missing file is an empty list: nothing is trusted.
 */
export function loadTrustListFile(file: string): TrustList {
  if (!existsSync(file)) return { schemaVersion: 1, keys: [] };
  const data = readStrictJsonFile(file, {
    source: file,
    maxBytes: trustListMaxBytes,
    kind: "trust lists",
  });
  const keys = (data as { keys?: unknown } | null)?.keys;
  const encoded = Array.isArray(keys)
    ? keys.map((entry, i) => ({
        path: `$.keys[${i}].publicKey`,
        value: (entry as { publicKey?: unknown } | null)?.publicKey,
        bytes: 32,
      }))
    : [];
  const list = validateEncoded("trust", data, file, encoded);
  const problems: string[] = [];
  const firstIndex = new Map<string, number>();
  list.keys.forEach((entry, i) => {
    for (const field of ["owner", "comment", "addedAt"] as const) {
      const text = entry[field];
      const hidden = text === undefined ? undefined : hiddenCharacterIn(text);
      if (hidden) {
        problems.push(
          `${file}: $.keys[${i}].${field}: contains ${hidden} (expected plain one-line text: no control, bidi or invisible characters)`,
        );
      }
    }
    const expected = keyIdOf(entry.publicKey);
    if (entry.keyId !== expected) {
      problems.push(
        `${file}: $.keys[${i}].keyId: ${entry.keyId} is not the key id of $.keys[${i}].publicKey (expected ${expected})`,
      );
    }
    const first = firstIndex.get(entry.keyId);
    if (first === undefined) firstIndex.set(entry.keyId, i);
    else {
      problems.push(
        `${file}: $.keys[${i}].keyId: ${entry.keyId} is listed already at $.keys[${first}] (list each key once)`,
      );
    }
  });
  if (problems.length > 0) {
    throw new BenchError("E_KEY", problems.join("\n"), {
      hint: "fix or remove each entry named above; `bench key --owner NAME` prints a correct entry",
    });
  }
  return list;
}
