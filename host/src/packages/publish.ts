// `heddle-host publish`: pack, sign, stream each archive to the registry,
// then create the version with a small signed JSON document.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registriesToUse } from "./client-config.js";
import { describeProvides } from "./describe-provides.js";
import { PackageError } from "./errors.js";
import { packPlugin, type PackedArtifact } from "./pack.js";
import type { PackageManifest } from "./package-manifest.js";
import { createProgress, silentProgress } from "./progress.js";
import { loadPublisherKey } from "./publisher-key.js";
import { RegistryClient } from "./registry-client.js";
import type { RemoteVersion } from "./registry-types.js";
import { publisherPayload, signPayload } from "./signing.js";

/** Options of {@link publishPlugin}. */
export interface PublishOptions {
  registry?: string;
  token?: string;
  /** Publisher key file (default: $HEDDLE_HOME/keys/publisher-ed25519.pem, created if missing). */
  keyFile?: string;
  /** Dist-tag to set instead of moving `latest` (e.g. `next`). */
  tag?: string;
  /** Full package name, replacing the manifest's. */
  name?: string;
  /** Namespace for a manifest whose name has none (default: the token's only publish namespace). */
  namespace?: string;
  bundle?: boolean;
  /** Go/Rust: build binaries for these platforms ([] = this machine); see PackOptions.build. */
  build?: string[];
  /** Start the plugin to record what it provides, when the manifest does not say (default true). */
  describe?: boolean;
  quiet?: boolean;
  log?: (line: string) => void;
}

/**
 * Publishes the plugin folder `dir`. Checks the token's scopes before
 * uploading anything. Throws PackageError REGISTRY_UNAUTHORIZED (no or bad
 * token), REGISTRY_FORBIDDEN (token may not publish this name),
 * MANIFEST_INVALID, VERSION_EXISTS, SIGNATURE_UNKNOWN_KEY (the namespace
 * belongs to other keys), PACKAGE_TOO_LARGE or REGISTRY_UNREACHABLE.
 */
export async function publishPlugin(dir: string, options: PublishOptions): Promise<RemoteVersion> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const [entry] = await registriesToUse(options.registry, options.token);
  const client = new RegistryClient(entry!);
  if (!entry!.token) {
    throw new PackageError("REGISTRY_UNAUTHORIZED", `publishing to ${entry!.url} needs an API token`, { hint: "pass --token TOKEN, or store one with `heddle-host login`" });
  }
  const outDir = await mkdtemp(join(tmpdir(), "heddle-publish-"));
  try {
    const who = await client.whoami();
    const namespace = options.namespace ?? soleNamespace(who.scopes);
    const packed = await packPlugin(dir, { outDir, naming: { name: options.name, namespace }, bundle: options.bundle, build: options.build });
    const manifest = await withProvides(dir, packed.manifest, options.describe !== false, log);
    const { name, version } = manifest;
    checkPublishScope(who, name);
    const { key, created, path } = await loadPublisherKey(options.keyFile);
    if (created) log(`created a publisher key ${key.keyId} at ${path}; keep it: later versions of ${name.split("/")[0]}/* must be signed with it`);

    for (const artifact of packed.artifacts) await uploadArtifact(client, name, version, artifact, options.quiet ?? false);
    const artifacts = packed.artifacts.map((a) => ({ platform: a.platform, os: a.os, arch: a.arch, size: a.size, sha256: a.sha256, integrity: a.integrity }));
    const signature = signPayload(key.privateKeyPem, publisherPayload({ name, version, manifest, artifacts }));
    return await client.json<RemoteVersion>("PUT", `/v1/packages/${name}/versions/${version}`, {
      json: { manifest, artifacts, publisher: { keyId: key.keyId, publicKey: key.publicKey, signature }, ...(options.tag ? { tag: options.tag } : {}) },
    });
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

async function withProvides(dir: string, manifest: PackageManifest, describe: boolean, log: (line: string) => void): Promise<PackageManifest> {
  if (manifest.provides || !describe) return manifest;
  try {
    return { ...manifest, provides: await describeProvides(dir) };
  } catch (err) {
    log(`warning: could not start ${manifest.name} to record what it provides (${(err as Error).message}); search by capability will not find it. Add "provides" to heddle-plugin.json, or pass --no-describe`);
    return manifest;
  }
}

/** The namespace of a token's publish scopes when they name exactly one. */
function soleNamespace(scopes: string[]): string | undefined {
  const namespaces = new Set(scopes.filter((s) => s.startsWith("publish:")).map((s) => s.slice("publish:".length).split("/")[0]!));
  return namespaces.size === 1 ? [...namespaces][0] : undefined;
}

/** Refuses early, before any upload, when the token's scopes cannot publish `name`. */
function checkPublishScope(who: { id: string; scopes: string[] }, name: string): void {
  const ns = name.split("/")[0]!;
  const ok = who.scopes.some((s) => s === "admin" || s === `publish:${ns}/*` || s === `publish:${name}`);
  if (!ok) {
    throw new PackageError("REGISTRY_FORBIDDEN", `the token ${who.id} (scopes: ${who.scopes.join(", ")}) may not publish ${name}`, {
      hint: `use a token with the scope publish:${ns}/* (heddle-registry token create --scope 'publish:${ns}/*')`,
    });
  }
}

async function uploadArtifact(client: RegistryClient, name: string, version: string, artifact: PackedArtifact, quiet: boolean): Promise<void> {
  const progress = quiet ? silentProgress : createProgress(`${name}@${version} (${artifact.platform})`, "upload");
  progress.start(artifact.size);
  try {
    const stored = await client.upload(name, artifact.path, artifact.size, artifact.integrity, (n) => progress.advance(n));
    if (stored.integrity !== artifact.integrity || stored.sha256 !== artifact.sha256) {
      throw new PackageError("INTEGRITY_MISMATCH", `the registry stored ${stored.integrity} for the ${artifact.platform} archive, but ${artifact.integrity} was sent`, { hint: "publish again" });
    }
    progress.done();
  } catch (err) {
    progress.fail();
    throw err;
  }
}
