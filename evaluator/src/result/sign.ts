import { sign as edSign, verify as edVerify } from "node:crypto";
import type { ResultDocument } from "../generated/result.ts";
import { canonicalize } from "./canonical.ts";
import { base64Problem, publicKeyObject, type SigningKey } from "./keys.ts";

export type UnsignedResult = Omit<ResultDocument, "signature">;
export type Signature = NonNullable<ResultDocument["signature"]>;

/** The bytes that are signed: the canonical document whose signature lacks only its value. */
export function signedPayload(
  document: UnsignedResult,
  signature: Omit<Signature, "value">,
): Buffer {
  return Buffer.from(canonicalize({ ...document, signature }), "utf8");
}

export function signResult(document: UnsignedResult, key: SigningKey): ResultDocument {
  const header: Omit<Signature, "value"> = {
    algorithm: "Ed25519",
    canonicalization: "RFC8785",
    keyId: key.keyId,
    publicKey: key.publicKey,
    signer: key.signer,
  };
  const value = edSign(null, signedPayload(document, header), key.privateKey).toString("base64");
  return { ...document, signature: { ...header, value } };
}

/**
 * True when the signature matches the document and the embedded public key, both of which must be
 * canonical base64 (so each document has exactly one valid signature spelling).
 */
export function signatureMatches(document: ResultDocument): boolean {
  const { signature, ...rest } = document;
  if (!signature) return false;
  const { value, ...header } = signature;
  if (base64Problem(value, 64) || base64Problem(signature.publicKey, 32)) return false;
  try {
    return edVerify(
      null,
      signedPayload(rest, header),
      publicKeyObject(signature.publicKey),
      Buffer.from(value, "base64"),
    );
  } catch {
    return false;
  }
}
