import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BenchError } from "../errors/index.ts";
import { benchHome } from "../paths.ts";

export const signerKinds = ["local", "ci", "maintainer"] as const;
export type SignerKind = (typeof signerKinds)[number];

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: string;
  keyId: string;
  signer: { kind: SignerKind; name?: string };
  /** Where the key came from, for messages: a file path or an environment variable. */
  source: string;
}

/** Raw 32-byte Ed25519 public key, base64. */
export function rawPublicKey(key: KeyObject): string {
  const jwk = createPublicKey(key).export({ format: "jwk" });
  if (jwk.crv !== "Ed25519" || !jwk.x)
    throw new BenchError("E_KEY", "the signing key is not an Ed25519 key");
  return Buffer.from(jwk.x, "base64url").toString("base64");
}

/**
 * Why `value` is not the canonical padded base64 of exactly `bytes` bytes, or undefined when it
 * is. Canonical is the one spelling `Buffer#toString("base64")` gives: no whitespace, no base64url
 * characters, padding present, unused bits zero. `Buffer.from(…, "base64")` accepts all of those,
 * so without this check one signature would have many spellings that all verify.
 */
export function base64Problem(value: string, bytes: number): string | undefined {
  const reason = nonCanonicalBase64(value, bytes);
  return reason && `is not canonical base64 of exactly ${bytes} bytes (${reason})`;
}

function nonCanonicalBase64(value: string, bytes: number): string | undefined {
  const length = 4 * Math.ceil(bytes / 3);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value))
    return "it has characters other than A-Z, a-z, 0-9, '+', '/' and '=' padding at the end";
  if (value.length !== length) return `it is ${value.length} characters long, expected ${length}`;
  const decoded = Buffer.from(value, "base64");
  if (decoded.length !== bytes) return `it decodes to ${decoded.length} bytes`;
  if (decoded.toString("base64") !== value)
    return "its padding or unused bits differ from the canonical spelling";
  return undefined;
}

/** First 16 hex characters of sha256(raw public key). */
export function keyIdOf(publicKeyBase64: string): string {
  return createHash("sha256")
    .update(Buffer.from(publicKeyBase64, "base64"))
    .digest("hex")
    .slice(0, 16);
}

export function publicKeyObject(publicKeyBase64: string): KeyObject {
  const problem = base64Problem(publicKeyBase64, 32);
  if (problem) throw new BenchError("E_KEY", `public key ${problem}`);
  const raw = Buffer.from(publicKeyBase64, "base64");
  return createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") },
    format: "jwk",
  });
}

function fromPem(pem: string, source: string, signer: SigningKey["signer"]): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (cause) {
    throw new BenchError("E_KEY", `${source}: not a PEM private key`, {
      hint: "generate one with: openssl genpkey -algorithm ed25519",
      cause,
    });
  }
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new BenchError(
      "E_KEY",
      `${source}: is a ${privateKey.asymmetricKeyType} key (expected ed25519)`,
      {
        hint: "generate one with: openssl genpkey -algorithm ed25519",
      },
    );
  }
  const publicKey = rawPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey), signer, source };
}

/**
 * The key to sign with: `--key FILE`, else `BENCH_SIGNING_KEY` (PEM text, for CI secrets), else a
 * local key under $BENCH_HOME/keys, created on first use. Keys never live in the repository.
 */
export function loadSigningKey(
  options: { keyFile?: string; env?: NodeJS.ProcessEnv } = {},
): SigningKey {
  const env = options.env ?? process.env;
  const kind = env.BENCH_SIGNER_KIND as SignerKind | undefined;
  if (kind !== undefined && !signerKinds.includes(kind)) {
    throw new BenchError(
      "E_KEY",
      `BENCH_SIGNER_KIND: ${JSON.stringify(kind)} is not a signer kind (expected one of: ${signerKinds.join(", ")})`,
    );
  }
  const name = env.BENCH_SIGNER_NAME;
  const named = (k: SignerKind) => (name ? { kind: k, name } : { kind: k });
  if (options.keyFile) {
    if (!existsSync(options.keyFile)) {
      throw new BenchError("E_KEY", `--key: ${options.keyFile} does not exist`, {
        hint: "pass the path of an Ed25519 PEM private key",
      });
    }
    return fromPem(
      readFileSync(options.keyFile, "utf8"),
      `--key ${options.keyFile}`,
      named(kind ?? "maintainer"),
    );
  }
  if (env.BENCH_SIGNING_KEY)
    return fromPem(env.BENCH_SIGNING_KEY, "BENCH_SIGNING_KEY", named(kind ?? "ci"));
  const dir = join(benchHome(env), "keys");
  const file = join(dir, "local-ed25519.pem");
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync("ed25519");
    writeFileSync(file, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return fromPem(readFileSync(file, "utf8"), file, named("local"));
}
