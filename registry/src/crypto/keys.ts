import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";

/**
 * Ed25519 helpers on node:crypto (no dependency). Public keys travel as the
 * raw 32-byte key in base64url (the JWK `x` member), which is what minisign
 * and Sigstore users expect to see; a key is named by its key id, the first
 * 16 hex digits of the SHA-256 of the raw key.
 */
export interface Ed25519KeyPair {
  /** PKCS#8 PEM of the private key. */
  privateKeyPem: string;
  /** Raw public key, base64url. */
  publicKey: string;
  keyId: string;
}

/** Makes a new Ed25519 key pair. */
export function generateEd25519KeyPair(): Ed25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return keyPairFromPrivateKey(privateKey.export({ type: "pkcs8", format: "pem" }).toString());
}

/** Rebuilds the key pair from a PKCS#8 PEM private key; throws if the PEM is not an Ed25519 key. */
export function keyPairFromPrivateKey(privateKeyPem: string): Ed25519KeyPair {
  const privateKey = createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new TypeError(`expected an ed25519 private key, got ${privateKey.asymmetricKeyType ?? "a symmetric key"}`);
  }
  const jwk = createPublicKey(privateKey).export({ format: "jwk" });
  const publicKey = String(jwk.x);
  return { privateKeyPem, publicKey, keyId: keyIdOf(publicKey) };
}

/** The key id of a raw base64url public key. */
export function keyIdOf(publicKey: string): string {
  return createHash("sha256").update(Buffer.from(publicKey, "base64url")).digest("hex").slice(0, 16);
}

/** Signs `payload` (UTF-8) with an Ed25519 PEM private key; returns base64. */
export function signPayload(privateKeyPem: string, payload: string): string {
  return sign(null, Buffer.from(payload, "utf8"), createPrivateKey(privateKeyPem)).toString("base64");
}

/**
 * Verifies a base64 Ed25519 signature of `payload` by a raw base64url public
 * key. Returns false (never throws) for a malformed key or signature, because
 * to the caller a garbled signature is just an invalid one.
 */
export function verifyPayload(publicKey: string, payload: string, signature: string): boolean {
  let key: KeyObject;
  try {
    const raw = Buffer.from(publicKey, "base64url");
    if (raw.length !== 32) return false;
    key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: publicKey }, format: "jwk" });
    const sig = Buffer.from(signature, "base64");
    if (sig.length !== 64) return false;
    return verify(null, Buffer.from(payload, "utf8"), key, sig);
  } catch {
    return false;
  }
}
