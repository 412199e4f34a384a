import { canonicalJson } from "./canonical-json.js";
import type { ArtifactRecord, KeyBinding, VersionEntry } from "../model/index-types.js";

/**
 * The exact texts that get signed. Each starts with a domain line so a
 * signature made for one purpose can never be replayed as another. The host's
 * package client builds the same texts (host/src/packages/signing.ts).
 */

/** What a publisher signs: the name, version, manifest and every artifact's hashes. */
export function publisherPayload(release: {
  name: string;
  version: string;
  manifest: Record<string, unknown>;
  artifacts: ArtifactRecord[];
}): string {
  return `heddle-publisher-v1\n${canonicalJson({
    name: release.name,
    version: release.version,
    manifest: release.manifest,
    artifacts: sortedArtifacts(release.artifacts),
  })}`;
}

/** What the registry countersigns for a version: the publisher's release plus its signature and publish time. */
export function releasePayload(entry: Pick<VersionEntry, "name" | "version" | "manifest" | "artifacts" | "publisher" | "publishedAt">): string {
  return `heddle-registry-release-v1\n${canonicalJson({
    name: entry.name,
    version: entry.version,
    manifest: entry.manifest,
    artifacts: sortedArtifacts(entry.artifacts),
    publisher: { keyId: entry.publisher.keyId, publicKey: entry.publisher.publicKey, signature: entry.publisher.signature },
    publishedAt: entry.publishedAt,
  })}`;
}

/** What the registry signs to say a publisher key belongs to a namespace. */
export function keyBindingPayload(binding: Pick<KeyBinding, "namespace" | "keyId" | "publicKey" | "addedAt">): string {
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

function sortedArtifacts(artifacts: ArtifactRecord[]): ArtifactRecord[] {
  return [...artifacts]
    .map((a) => ({ platform: a.platform, os: a.os, arch: a.arch, size: a.size, sha256: a.sha256, integrity: a.integrity }))
    .sort((a, b) => (a.platform < b.platform ? -1 : a.platform > b.platform ? 1 : 0));
}
