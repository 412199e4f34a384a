import { RegistryError } from "../errors.js";
import type { ArtifactRecord, PublisherSignature } from "./index-types.js";
import { PLATFORM_PATTERN } from "./names.js";

/** A publish request body, checked. */
export interface ReleaseRequest {
  manifest: Record<string, unknown>;
  artifacts: ArtifactRecord[];
  publisher: PublisherSignature;
  tag: string | null;
}

const MAX_ARTIFACTS = 32;

/**
 * Checks the shape of a publish body against the URL's name and version.
 * Throws RegistryError REGISTRY_BAD_REQUEST or MANIFEST_INVALID naming the member that is wrong.
 */
export function validateReleaseRequest(body: Record<string, unknown>, name: string, version: string): ReleaseRequest {
  const manifest = body.manifest;
  if (!manifest || typeof manifest !== "object" || Array.isArray(manifest)) {
    throw new RegistryError("REGISTRY_BAD_REQUEST", 'the request body needs a "manifest" object (the package\'s heddle-plugin.json)');
  }
  const m = manifest as Record<string, unknown>;
  if (m.name !== name) throw new RegistryError("MANIFEST_INVALID", `the manifest's name ${JSON.stringify(m.name)} does not match the URL's ${name}`);
  if (m.version !== version) throw new RegistryError("MANIFEST_INVALID", `the manifest's version ${JSON.stringify(m.version)} does not match the URL's ${version}`);
  if (!Array.isArray(body.artifacts) || body.artifacts.length === 0 || body.artifacts.length > MAX_ARTIFACTS) {
    throw new RegistryError("REGISTRY_BAD_REQUEST", `"artifacts" must list 1 to ${MAX_ARTIFACTS} uploaded archives`);
  }
  const seen = new Set<string>();
  const artifacts = body.artifacts.map((raw, i): ArtifactRecord => {
    const a = (raw ?? {}) as Record<string, unknown>;
    const where = `artifacts[${i}]`;
    if (typeof a.platform !== "string" || !PLATFORM_PATTERN.test(a.platform)) {
      throw new RegistryError("REGISTRY_BAD_REQUEST", `${where}.platform must be "any" or "<os>-<arch>" like linux-x64`);
    }
    if (seen.has(a.platform)) throw new RegistryError("REGISTRY_BAD_REQUEST", `${where}: the platform ${a.platform} is listed twice`);
    seen.add(a.platform);
    if (typeof a.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(a.sha256)) throw new RegistryError("REGISTRY_BAD_REQUEST", `${where}.sha256 must be 64 lowercase hex digits`);
    if (typeof a.integrity !== "string" || !a.integrity.startsWith("sha512-")) throw new RegistryError("REGISTRY_BAD_REQUEST", `${where}.integrity must be an SRI sha512- string`);
    if (typeof a.size !== "number" || !Number.isSafeInteger(a.size) || a.size <= 0) throw new RegistryError("REGISTRY_BAD_REQUEST", `${where}.size must be a positive integer`);
    const [os, arch] = a.platform === "any" ? ["any", "any"] : a.platform.split("-");
    return { platform: a.platform, os: os!, arch: arch!, size: a.size, sha256: a.sha256, integrity: a.integrity };
  });
  const p = (body.publisher ?? {}) as Record<string, unknown>;
  for (const key of ["keyId", "publicKey", "signature"]) {
    if (typeof p[key] !== "string" || p[key] === "") {
      throw new RegistryError("SIGNATURE_INVALID", `the release is not signed: "publisher.${key}" is missing`, "publish with `heddle-host publish`, which signs with your publisher key");
    }
  }
  const tag = body.tag === undefined || body.tag === null ? null : String(body.tag);
  return {
    manifest: m,
    artifacts,
    publisher: { keyId: String(p.keyId), publicKey: String(p.publicKey), signature: String(p.signature) },
    tag,
  };
}
