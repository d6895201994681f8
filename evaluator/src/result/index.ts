export { canonicalize, sha256Hex } from "./canonical.ts";
export { base64Problem, keyIdOf, loadSigningKey, rawPublicKey, type SigningKey } from "./keys.ts";
export { signatureMatches, signResult, type UnsignedResult } from "./sign.ts";
export { parseStrictJson, readStrictJsonFile } from "./strict-json.ts";
export { loadTrustList, loadTrustListFile, trustListName } from "./trust-list.ts";
export {
  listResultFiles,
  resultsRootFor,
  type SkippedEntry,
  scanResultFiles,
  type VerifiedResult,
  type VerifyOptions,
  verifyResultFile,
} from "./verify.ts";
