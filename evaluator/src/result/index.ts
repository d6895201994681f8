export { canonicalize, sha256Hex } from "./canonical.ts";
export { keyIdOf, loadSigningKey, rawPublicKey, type SigningKey } from "./keys.ts";
export { signatureMatches, signResult, type UnsignedResult } from "./sign.ts";
export {
  listResultFiles,
  loadTrustList,
  trustListName,
  type VerifiedResult,
  verifyResultFile,
} from "./verify.ts";
