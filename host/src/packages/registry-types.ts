// The registry's JSON documents as the client reads them (see registry/openapi.yaml).
import type { SignedArtifact } from "./signing.js";

/** An artifact of a version, with its download path. */
export interface RemoteArtifact extends SignedArtifact {
  url: string;
}

/** One version as the registry serves it. */
export interface RemoteVersion {
  name: string;
  version: string;
  manifest: Record<string, unknown>;
  artifacts: RemoteArtifact[];
  publisher: { keyId: string; publicKey: string; signature: string };
  publishedAt: string;
  registrySignature: { keyId: string; signature: string };
  yanked: { reason: string; at: string } | null;
  deprecated: string | null;
}

/** A package index. */
export interface RemotePackage {
  name: string;
  distTags: Record<string, string>;
  versions: Record<string, RemoteVersion>;
  createdAt: string;
  updatedAt: string;
}

/** A publisher key bound to a namespace. */
export interface RemoteKeyBinding {
  namespace: string;
  keyId: string;
  publicKey: string;
  addedAt: string;
  registrySignature: { keyId: string; signature: string };
}

/** A namespace record. */
export interface RemoteNamespace {
  namespace: string;
  keys: RemoteKeyBinding[];
  createdAt: string;
}

/** The `/v1` discovery document. */
export interface RegistryDiscovery {
  service: string;
  apiVersion: number;
  registryKey: { keyId: string; algorithm: string; publicKey: string };
  limits: { maxUploadBytes: number; maxUnpackedBytes: number; maxEntries: number };
  requireReadToken: boolean;
}

/** A search hit. */
export interface SearchResult {
  name: string;
  version: string;
  description: string;
  provides: { namespace?: string; steps: string[]; resources: string[]; commands: string[]; handlers: string[] };
  deprecated: string | null;
  score: number;
}
