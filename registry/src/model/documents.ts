import { RegistryError } from "../errors.js";
import type { RegistryStorage } from "../storage/storage.js";
import type { NamespaceRecord, PackageIndex, ServedArtifact, VersionEntry } from "./index-types.js";

/** Storage key of a package index. */
export function packageKey(name: string): string {
  return `packages/${name}`;
}

/** Storage key of a namespace record. */
export function namespaceKey(namespace: string): string {
  return `namespaces/${namespace}`;
}

/** The package index, or a RegistryError PACKAGE_NOT_FOUND. */
export async function loadPackage(storage: RegistryStorage, name: string): Promise<PackageIndex> {
  const index = await storage.readDocument<PackageIndex>(packageKey(name));
  if (!index) throw new RegistryError("PACKAGE_NOT_FOUND", `there is no package ${name} in this registry`, "check the name, or search with `heddle-host search`");
  return index;
}

/** A version of a package index, or a RegistryError VERSION_NOT_FOUND listing the versions there are. */
export function versionOf(index: PackageIndex, version: string): VersionEntry {
  const entry = index.versions[version];
  if (!entry) {
    const known = Object.keys(index.versions);
    throw new RegistryError("VERSION_NOT_FOUND", `${index.name} has no version ${version}; it has ${known.join(", ") || "none"}`);
  }
  return entry;
}

/** The namespace record, or null. */
export async function loadNamespace(storage: RegistryStorage, namespace: string): Promise<NamespaceRecord | null> {
  return storage.readDocument<NamespaceRecord>(namespaceKey(namespace));
}

/** URL path an artifact downloads from. */
export function blobUrl(sha256: string): string {
  return `/v1/blobs/${sha256}`;
}

/** A version entry as served: each artifact gains its download `url`. */
export function servedEntry(entry: VersionEntry): VersionEntry & { artifacts: ServedArtifact[] } {
  return { ...entry, artifacts: entry.artifacts.map((a) => ({ ...a, url: blobUrl(a.sha256) })) };
}

/** A package index as served. */
export function servedIndex(index: PackageIndex): PackageIndex {
  const versions: Record<string, VersionEntry> = {};
  for (const [v, entry] of Object.entries(index.versions)) versions[v] = servedEntry(entry);
  return { ...index, versions };
}
