import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { validateAgainst } from "../config/schema.ts";
import { BenchError, isBenchError } from "../errors/index.ts";
import type { ResultDocument } from "../generated/result.ts";
import type { TrustList } from "../generated/trust.ts";
import { sha256Hex } from "./canonical.ts";
import { keyIdOf } from "./keys.ts";
import { signatureMatches } from "./sign.ts";

export const trustListName = "trusted-keys.json";

export interface VerifiedResult {
  file: string;
  /** trusted: valid signature by a key in the trust list; untrusted: valid signature by another key; invalid: anything else. */
  status: "trusted" | "untrusted" | "invalid";
  problems: string[];
  document?: ResultDocument;
  signer?: { keyId: string; kind: string; name?: string; owner?: string };
}

/** The trust list of a results folder (`<dir>/trusted-keys.json`); empty when there is none. */
export function loadTrustList(resultsDir: string): TrustList {
  return loadTrustListFile(join(resultsDir, trustListName));
}

export function loadTrustListFile(file: string): TrustList {
  if (!existsSync(file)) return { schemaVersion: 1, keys: [] };
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new BenchError("E_JSON", `${file}: is not valid JSON (${(cause as Error).message})`, {
      cause,
    });
  }
  return validateAgainst("trust", data, file);
}

/** Every result document below `dir` (the trust list and samples files excluded), sorted. */
export function listResultFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith(".")) walk(full);
      else if (entry.isFile() && entry.name.endsWith(".json") && entry.name !== trustListName)
        out.push(full);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

/** Checks one result document: schema, signature, samples digest, and whether its signer is trusted. */
export function verifyResultFile(file: string, trust: TrustList): VerifiedResult {
  const problems: string[] = [];
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    return {
      file,
      status: "invalid",
      problems: [`${file}: is not valid JSON (${(cause as Error).message})`],
    };
  }
  let document: ResultDocument;
  try {
    document = validateAgainst("result", data, file);
  } catch (error) {
    if (!isBenchError(error)) throw error;
    return { file, status: "invalid", problems: error.message.split("\n") };
  }
  const signature = document.signature;
  if (!signature)
    return {
      file,
      status: "invalid",
      problems: [`${file}: $.signature: is missing (the document is unsigned)`],
      document,
    };
  if (keyIdOf(signature.publicKey) !== signature.keyId) {
    problems.push(
      `${file}: $.signature.keyId: ${signature.keyId} does not belong to $.signature.publicKey`,
    );
  }
  if (!signatureMatches(document)) {
    problems.push(
      `${file}: $.signature.value: does not match the document (it was changed after signing, or signed by another key)`,
    );
  }
  const samplesPath = resolve(dirname(file), document.samples.path);
  if (!existsSync(samplesPath)) {
    problems.push(`${file}: $.samples.path: ${relative(process.cwd(), samplesPath)} is missing`);
  } else {
    const digest = sha256Hex(readFileSync(samplesPath));
    if (digest !== document.samples.sha256) {
      problems.push(
        `${file}: $.samples.sha256: ${relative(process.cwd(), samplesPath)} has sha256 ${digest} (expected ${document.samples.sha256}); the samples were changed`,
      );
    }
  }
  const entry = trust.keys.find(
    (k) => k.keyId === signature.keyId && k.publicKey === signature.publicKey,
  );
  const signer = {
    keyId: signature.keyId,
    kind: signature.signer.kind,
    ...(signature.signer.name ? { name: signature.signer.name } : {}),
    ...(entry ? { owner: entry.owner } : {}),
  };
  if (problems.length > 0) return { file, status: "invalid", problems, document, signer };
  return { file, status: entry ? "trusted" : "untrusted", problems, document, signer };
}
