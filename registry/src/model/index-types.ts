/**
 * The documents the registry stores and serves. A package index is the whole
 * history of one package (like npm's packument or a crates.io index file); a
 * version entry inside it never changes after publish except for its `yanked`
 * and `deprecated` marks, which are outside every signature.
 */

/** One downloadable archive of a version, for one platform or for `any`. */
export interface ArtifactRecord {
  /** `any`, or `<os>-<arch>` with Node's names (`linux-x64`, `darwin-arm64`). */
  platform: string;
  os: string;
  arch: string;
  /** Bytes of the .tgz. */
  size: number;
  /** Hex SHA-256 of the .tgz (the blob's address). */
  sha256: string;
  /** SRI string `sha512-<base64>` of the .tgz. */
  integrity: string;
}

/** An artifact as served, with the URL path it downloads from. */
export interface ServedArtifact extends ArtifactRecord {
  url: string;
}

/** The publisher's Ed25519 signature over the publisher payload. */
export interface PublisherSignature {
  keyId: string;
  /** Raw public key, base64url. */
  publicKey: string;
  /** Base64 signature. */
  signature: string;
}

/** The registry's countersignature over the release payload. */
export interface RegistrySignature {
  keyId: string;
  signature: string;
}

/** Why and when a version was yanked. */
export interface YankMark {
  reason: string;
  at: string;
}

/** One published version. */
export interface VersionEntry {
  name: string;
  version: string;
  /** The package manifest (the plugin's heddle-plugin.json, with `provides`). */
  manifest: Record<string, unknown>;
  artifacts: ArtifactRecord[];
  publisher: PublisherSignature;
  publishedAt: string;
  registrySignature: RegistrySignature;
  yanked: YankMark | null;
  deprecated: string | null;
}

/** Everything about one package. */
export interface PackageIndex {
  name: string;
  distTags: Record<string, string>;
  versions: Record<string, VersionEntry>;
  createdAt: string;
  updatedAt: string;
}

/** A publisher key allowed to sign releases in a namespace, countersigned by the registry. */
export interface KeyBinding {
  namespace: string;
  keyId: string;
  publicKey: string;
  addedAt: string;
  registrySignature: RegistrySignature;
}

/** A namespace and the publisher keys that own it. */
export interface NamespaceRecord {
  namespace: string;
  keys: KeyBinding[];
  createdAt: string;
}
