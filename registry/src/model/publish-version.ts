import semver from "semver";
import { RegistryError } from "../errors.js";
import { keyIdOf, signPayload, verifyPayload } from "../crypto/keys.js";
import { keyBindingPayload, publisherPayload, releasePayload } from "../crypto/signed-payloads.js";
import type { RegistryContext } from "../server/context.js";
import { namespaceKey, packageKey } from "./documents.js";
import type { KeyBinding, NamespaceRecord, PackageIndex, VersionEntry } from "./index-types.js";
import { inspectArchive } from "./inspect-archive.js";
import { checkDistTag } from "./names.js";
import type { ReleaseRequest } from "./validate-release.js";

/**
 * Publishes a version: checks that every artifact was uploaded with the
 * claimed hashes and holds a manifest with this name and version, checks the
 * publisher's signature and that its key belongs to the namespace (the first
 * key to publish in a new namespace claims it), then stores the version with
 * the registry's countersignature and moves dist-tags.
 * Throws RegistryError BLOB_NOT_FOUND, INTEGRITY_MISMATCH, UNSAFE_ARCHIVE,
 * MANIFEST_INVALID, SIGNATURE_INVALID, SIGNATURE_UNKNOWN_KEY or VERSION_EXISTS.
 */
export async function publishVersion(ctx: RegistryContext, name: string, version: string, release: ReleaseRequest): Promise<VersionEntry> {
  const namespace = name.split("/")[0]!;
  if (release.tag !== null) checkDistTag(release.tag);
  const existing = await ctx.storage.readDocument<PackageIndex>(packageKey(name));
  if (existing?.versions[version]) throw versionExists(name, version);

  for (const artifact of release.artifacts) {
    const stored = await ctx.storage.statBlob(artifact.sha256);
    if (!stored) {
      throw new RegistryError("BLOB_NOT_FOUND", `the ${artifact.platform} archive (sha256 ${artifact.sha256}) was never uploaded`, `upload it first: POST /v1/packages/${name}/uploads`);
    }
    if (stored.size !== artifact.size || stored.integrity !== artifact.integrity) {
      throw new RegistryError("INTEGRITY_MISMATCH", `the ${artifact.platform} archive's size or sha512 differ from what was uploaded`);
    }
    const blob = await ctx.storage.openBlob(artifact.sha256);
    if (!blob) throw new RegistryError("BLOB_NOT_FOUND", `the ${artifact.platform} archive vanished from storage`);
    const inner = await inspectArchive(blob.stream, { maxUnpackedBytes: ctx.options.maxUnpackedBytes, maxEntries: ctx.options.maxEntries });
    // an author may leave the namespace out of heddle-plugin.json; it is then given at publish time
    if ((inner.name !== name && inner.name !== name.split("/")[1]) || inner.version !== version) {
      throw new RegistryError(
        "MANIFEST_INVALID",
        `the ${artifact.platform} archive's heddle-plugin.json says ${String(inner.name)}@${String(inner.version)}, not ${name}@${version}`,
        "pack the archive from the same folder you publish",
      );
    }
  }

  const { publisher } = release;
  if (keyIdOf(publisher.publicKey) !== publisher.keyId) {
    throw new RegistryError("SIGNATURE_INVALID", `the publisher key id ${publisher.keyId} does not belong to the public key sent with it`);
  }
  const payload = publisherPayload({ name, version, manifest: release.manifest, artifacts: release.artifacts });
  if (!verifyPayload(publisher.publicKey, payload, publisher.signature)) {
    throw new RegistryError("SIGNATURE_INVALID", `the publisher signature of ${name}@${version} does not verify with key ${publisher.keyId}`, "the archive or manifest changed after signing; publish again with `heddle-host publish`");
  }
  await ensureKeyOwnsNamespace(ctx, namespace, publisher.publicKey, publisher.keyId);

  const publishedAt = new Date().toISOString();
  const unsigned = { name, version, manifest: release.manifest, artifacts: release.artifacts, publisher, publishedAt };
  const entry: VersionEntry = {
    ...unsigned,
    registrySignature: { keyId: ctx.registryKey.keyId, signature: signPayload(ctx.registryKey.privateKeyPem, releasePayload(unsigned)) },
    yanked: null,
    deprecated: null,
  };
  await ctx.storage.updateDocument<PackageIndex>(packageKey(name), (index) => {
    const current: PackageIndex = index ?? { name, distTags: {}, versions: {}, createdAt: publishedAt, updatedAt: publishedAt };
    if (current.versions[version]) throw versionExists(name, version);
    const distTags = { ...current.distTags };
    if (release.tag !== null) distTags[release.tag] = version;
    const latest = distTags.latest;
    if (!latest || (release.tag === null && !semver.prerelease(version) && semver.gt(version, latest))) distTags.latest = version;
    return { ...current, distTags, versions: { ...current.versions, [version]: entry }, updatedAt: publishedAt };
  });
  return entry;
}

/**
 * Makes sure `publicKey` may sign releases in `namespace`: a namespace with no
 * keys yet is claimed by it; otherwise it must be one of the namespace's keys.
 * Throws RegistryError SIGNATURE_UNKNOWN_KEY otherwise.
 */
async function ensureKeyOwnsNamespace(ctx: RegistryContext, namespace: string, publicKey: string, keyId: string): Promise<void> {
  await ctx.storage.updateDocument<NamespaceRecord>(namespaceKey(namespace), (record) => {
    if (record && record.keys.length > 0) {
      if (record.keys.some((k) => k.keyId === keyId)) return undefined;
      throw new RegistryError(
        "SIGNATURE_UNKNOWN_KEY",
        `the publisher key ${keyId} is not one of the keys of the namespace ${namespace} (${record.keys.map((k) => k.keyId).join(", ")})`,
        `sign with a key of ${namespace} (--key FILE), or have an owner add yours with \`heddle-host key add\``,
      );
    }
    const now = new Date().toISOString();
    return { namespace, keys: [bindKey(ctx, namespace, publicKey, keyId, now)], createdAt: record?.createdAt ?? now };
  });
}

/** A key binding countersigned by the registry. */
export function bindKey(ctx: RegistryContext, namespace: string, publicKey: string, keyId: string, addedAt: string): KeyBinding {
  const unsigned = { namespace, keyId, publicKey, addedAt };
  return { ...unsigned, registrySignature: { keyId: ctx.registryKey.keyId, signature: signPayload(ctx.registryKey.privateKeyPem, keyBindingPayload(unsigned)) } };
}

function versionExists(name: string, version: string): RegistryError {
  return new RegistryError("VERSION_EXISTS", `${name}@${version} is already published, and versions never change`, "bump the version in heddle-plugin.json and publish again");
}
