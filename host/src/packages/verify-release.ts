// Checks a version's signatures before anything is downloaded: the registry's
// countersignature (registry key pinned on first use), the publisher's
// signature, and that the publisher key belongs to the package's namespace.
import { updateClientConfig, readClientConfig } from "./client-config.js";
import { PackageError } from "./errors.js";
import type { RegistryClient } from "./registry-client.js";
import type { RemoteVersion } from "./registry-types.js";
import { keyBindingPayload, keyIdOf, publisherPayload, releasePayload, verifyPayload } from "./signing.js";

/** A registry's signing key. */
export interface RegistryKey {
  keyId: string;
  publicKey: string;
}

const trustedKeys = new Map<string, Promise<RegistryKey>>();

/**
 * The registry's signing key, pinned in config.json the first time this
 * registry is used. Throws PackageError REGISTRY_KEY_CHANGED when the
 * registry now presents another key (a different server, or a rotated key).
 */
export function trustedRegistryKey(client: RegistryClient): Promise<RegistryKey> {
  const url = client.entry.url;
  let pending = trustedKeys.get(url);
  if (!pending) {
    pending = (async () => {
      const { registryKey } = await client.discovery();
      if (keyIdOf(registryKey.publicKey) !== registryKey.keyId) {
        throw new PackageError("SIGNATURE_INVALID", `the registry ${url} announces key id ${registryKey.keyId} for a key whose id is ${keyIdOf(registryKey.publicKey)}`);
      }
      const pinned = (await readClientConfig()).registryKeys[url];
      if (pinned && (pinned.keyId !== registryKey.keyId || pinned.publicKey !== registryKey.publicKey)) {
        throw new PackageError("REGISTRY_KEY_CHANGED", `the registry ${url} now signs with key ${registryKey.keyId}, but key ${pinned.keyId} was pinned on ${pinned.firstSeen}`, {
          hint: `if the registry rotated its key on purpose, run \`heddle-host registry trust ${url}\`; otherwise you may be talking to another server`,
        });
      }
      if (!pinned) {
        await updateClientConfig((config) => {
          config.registryKeys[url] ??= { keyId: registryKey.keyId, publicKey: registryKey.publicKey, firstSeen: new Date().toISOString() };
        });
      }
      return { keyId: registryKey.keyId, publicKey: registryKey.publicKey };
    })();
    trustedKeys.set(url, pending);
    pending.catch(() => trustedKeys.delete(url));
  }
  return pending;
}

/** Forgets the in-process cache of registry keys (after `registry trust`). */
export function forgetTrustedKeys(): void {
  trustedKeys.clear();
}

/**
 * Verifies `version` as served by `client`. `expectedPublisherKeyId` (from
 * heddle.lock) must match when given.
 * Throws PackageError SIGNATURE_INVALID (a signature does not verify) or
 * SIGNATURE_UNKNOWN_KEY (the publisher key is not one of the namespace's keys,
 * or not the one the lock file pinned).
 */
export async function verifyRelease(client: RegistryClient, version: RemoteVersion, expectedPublisherKeyId?: string): Promise<void> {
  const label = `${version.name}@${version.version}`;
  const registryKey = await trustedRegistryKey(client);
  if (version.registrySignature?.keyId !== registryKey.keyId || !verifyPayload(registryKey.publicKey, releasePayload(version), version.registrySignature.signature)) {
    throw new PackageError("SIGNATURE_INVALID", `the registry countersignature of ${label} does not verify with the registry key ${registryKey.keyId}`, {
      hint: "the index entry was altered after the registry signed it; do not use this version and tell the registry operator",
    });
  }
  const { publisher } = version;
  if (keyIdOf(publisher.publicKey) !== publisher.keyId) {
    throw new PackageError("SIGNATURE_INVALID", `${label} names publisher key ${publisher.keyId}, but carries a key whose id is ${keyIdOf(publisher.publicKey)}`);
  }
  const payload = publisherPayload({ name: version.name, version: version.version, manifest: version.manifest, artifacts: version.artifacts });
  if (!verifyPayload(publisher.publicKey, payload, publisher.signature)) {
    throw new PackageError("SIGNATURE_INVALID", `the publisher signature of ${label} does not verify with key ${publisher.keyId}`, {
      hint: "the release was altered after it was signed; do not use this version and tell the registry operator",
    });
  }
  if (expectedPublisherKeyId && expectedPublisherKeyId !== publisher.keyId) {
    throw new PackageError("SIGNATURE_UNKNOWN_KEY", `${label} is signed by key ${publisher.keyId}, but heddle.lock pinned key ${expectedPublisherKeyId}`, {
      hint: "the package was re-signed by someone else; check with its publisher before updating heddle.lock",
    });
  }
  const namespace = version.name.split("/")[0]!;
  const record = await client.getNamespace(namespace);
  const trusted = (record?.keys ?? []).filter(
    (k) => k.namespace === namespace && k.registrySignature?.keyId === registryKey.keyId && verifyPayload(registryKey.publicKey, keyBindingPayload(k), k.registrySignature.signature),
  );
  if (!trusted.some((k) => k.keyId === publisher.keyId && k.publicKey === publisher.publicKey)) {
    throw new PackageError("SIGNATURE_UNKNOWN_KEY", `${label} is signed by key ${publisher.keyId}, which is not a key of the namespace ${namespace} (keys: ${trusted.map((k) => k.keyId).join(", ") || "none"})`, {
      hint: "do not use this version; the namespace's owners did not sign it",
    });
  }
}
