import { createHash } from "node:crypto";
import canonicalizeModule from "canonicalize";

const canonicalizeFn = canonicalizeModule as unknown as (value: unknown) => string | undefined;

/** RFC 8785 JSON Canonicalization Scheme. */
export function canonicalize(value: unknown): string {
  const text = canonicalizeFn(value);
  if (text === undefined) throw new TypeError("value has no JSON form");
  return text;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
