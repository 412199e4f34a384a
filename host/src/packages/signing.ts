// Ed25519 signing and verification for packages, on node:crypto. The payload
// texts are twins of registry/src/crypto/signed-payloads.ts and must build the
// exact same strings.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { canonicalJson } from "./canonical-json.js";

/** One artifact's hashes, as signed. */
export interface SignedArtifact {
  platform: string;
  os: string;
  arch: string;
  size: number;
  sha256: string;
  integrity: string;
}

/** An Ed25519 key pair: PKCS#8 PEM private key, raw base64url public key, key id. */
export interface KeyPair {
  privateKeyPem: string;
  publicKey: string;
  keyId: string;
}

/** Makes a new Ed25519 key pair. */
export function generateKeyPair(): KeyPair {
  const { privateKey } = generateKeyPairSync("ed25519");
  return keyPairFromPem(privateKey.export({ type: "pkcs8", format: "pem" }).toString());
}

/** Rebuilds a key pair from a PEM private key. Throws a TypeError if it is not Ed25519. */
export function keyPairFromPem(privateKeyPem: string): KeyPair {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== "ed25519") throw new TypeError(`expected an ed25519 private key, got ${key.asymmetricKeyType ?? "another kind of key"}`);
  const publicKey = String(createPublicKey(key).export({ format: "jwk" }).x);
  return { privateKeyPem, publicKey, keyId: keyIdOf(publicKey) };
}

/** Key id: first 16 hex digits of the SHA-256 of the raw public key. */
export function keyIdOf(publicKey: string): string {
  return createHash("sha256").update(Buffer.from(publicKey, "base64url")).digest("hex").slice(0, 16);
}

/** Base64 Ed25519 signature of the UTF-8 payload. */
export function signPayload(privateKeyPem: string, payload: string): string {
  return sign(null, Buffer.from(payload, "utf8"), createPrivateKey(privateKeyPem)).toString("base64");
}

/** Whether `signature` is a valid signature of `payload` by `publicKey`; false (never a throw) for malformed input. */
export function verifyPayload(publicKey: string, payload: string, signature: string): boolean {
  try {
    if (Buffer.from(publicKey, "base64url").length !== 32) return false;
    const sig = Buffer.from(signature, "base64");
    if (sig.length !== 64) return false;
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: publicKey }, format: "jwk" });
    return verify(null, Buffer.from(payload, "utf8"), key, sig);
  } catch {
    return false;
  }
}

/** What a publisher signs. */
export function publisherPayload(release: { name: string; version: string; manifest: Record<string, unknown>; artifacts: SignedArtifact[] }): string {
  return `heddle-publisher-v1\n${canonicalJson({
    name: release.name,
    version: release.version,
    manifest: release.manifest,
    artifacts: sortedArtifacts(release.artifacts),
  })}`;
}

/** What the registry countersigns for a version. */
export function releasePayload(entry: {
  name: string;
  version: string;
  manifest: Record<string, unknown>;
  artifacts: SignedArtifact[];
  publisher: { keyId: string; publicKey: string; signature: string };
  publishedAt: string;
}): string {
  return `heddle-registry-release-v1\n${canonicalJson({
    name: entry.name,
    version: entry.version,
    manifest: entry.manifest,
    artifacts: sortedArtifacts(entry.artifacts),
    publisher: { keyId: entry.publisher.keyId, publicKey: entry.publisher.publicKey, signature: entry.publisher.signature },
    publishedAt: entry.publishedAt,
  })}`;
}

/** What the registry signs to bind a publisher key to a namespace. */
export function keyBindingPayload(binding: { namespace: string; keyId: string; publicKey: string; addedAt: string }): string {
  return `heddle-registry-key-v1\n${canonicalJson({
    namespace: binding.namespace,
    keyId: binding.keyId,
    publicKey: binding.publicKey,
    addedAt: binding.addedAt,
  })}`;
}

/** What an existing namespace key signs to vouch for a new key. */
export function keyAdditionPayload(namespace: string, publicKey: string): string {
  return `heddle-add-key-v1\n${canonicalJson({ namespace, publicKey })}`;
}

function sortedArtifacts(artifacts: SignedArtifact[]): SignedArtifact[] {
  return [...artifacts]
    .map((a) => ({ platform: a.platform, os: a.os, arch: a.arch, size: a.size, sha256: a.sha256, integrity: a.integrity }))
    .sort((a, b) => (a.platform < b.platform ? -1 : a.platform > b.platform ? 1 : 0));
}
