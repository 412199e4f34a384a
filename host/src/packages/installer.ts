// Installs one package version: resolve → verify signatures → download and
// check hashes → unpack safely into a staging folder → python venv → rename
// into place. Under a per-version lock, so concurrent installs of the same
// package wait for each other instead of colliding.
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { RegistryEntry } from "./client-config.js";
import { downloadArtifact } from "./download.js";
import { PackageError } from "./errors.js";
import { safeExtract } from "./extract.js";
import { acquireLock } from "./file-lock.js";
import { readInstallMeta, type InstallMeta } from "./installed.js";
import type { LockEntry } from "./lockfile.js";
import { archiveLimits, heddleHome, INSTALL_LOCK_STALE_MS, INSTALL_LOCK_TIMEOUT_MS, INSTALL_META_FILE, installDir } from "./options.js";
import { archiveNameMatches, currentPlatform, MANIFEST_FILE, type PackageManifest } from "./package-manifest.js";
import { createProgress, silentProgress } from "./progress.js";
import { preparePythonEnv } from "./python-env.js";
import { RegistryClient } from "./registry-client.js";
import type { RemoteArtifact, RemotePackage, RemoteVersion } from "./registry-types.js";
import { pickVersion } from "./resolve-version.js";
import { createStagingDir, removeStagingDir, sweepStaleStaging } from "./staging.js";
import { verifyRelease } from "./verify-release.js";

/** What to install. */
export interface InstallRequest {
  name: string;
  /** Range or dist-tag; undefined = latest. */
  range?: string;
  /** The lock file's entry: its version wins if it satisfies the range, and its hashes must match. */
  pinned?: LockEntry;
}

/** Output and behaviour switches. */
export interface InstallOptions {
  /** Registries to look in, in order (the first that has the package wins). */
  registries: RegistryEntry[];
  quiet?: boolean;
  /** Where progress lines go (default stderr). */
  log?: (line: string) => void;
}

/** The result of one install. */
export interface InstallResult {
  name: string;
  version: string;
  dir: string;
  platform: string;
  /** False when that exact version was already installed and verified. */
  changed: boolean;
  deprecated: string | null;
  yanked: boolean;
  lockEntry: LockEntry;
}

/**
 * Installs a package version. Nothing is written under the plugins folder
 * unless every check passed; the final step is a rename.
 * Throws PackageError PACKAGE_NOT_FOUND, VERSION_NOT_FOUND, VERSION_YANKED,
 * SIGNATURE_INVALID, SIGNATURE_UNKNOWN_KEY, PLATFORM_UNSUPPORTED,
 * INTEGRITY_MISMATCH, DOWNLOAD_FAILED, UNSAFE_ARCHIVE, BUILD_FAILED,
 * REGISTRY_UNREACHABLE or INSTALL_LOCKED.
 */
export async function installPackage(request: InstallRequest, options: InstallOptions): Promise<InstallResult> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const { client, pkg } = await findPackage(request, options.registries);
  const version = pickVersion(pkg, request.range, request.pinned?.version);
  const label = `${version.name}@${version.version}`;
  await verifyRelease(client, version, request.pinned?.version === version.version ? request.pinned.publisherKeyId : undefined);
  const artifact = chooseArtifact(version);
  checkAgainstLock(version, request.pinned);
  if (version.yanked) log(`warning: ${label} is yanked${version.yanked.reason ? ` (${version.yanked.reason})` : ""}; installing it because heddle.lock pins it`);
  if (version.deprecated) log(`warning: ${label} is deprecated: ${version.deprecated}`);

  const target = installDir(version.name, version.version);
  const lockPath = join(heddleHome(), "locks", `install-${version.name.replace("/", "__")}@${version.version}.lock`);
  const release = await acquireLock(lockPath, {
    timeoutMs: INSTALL_LOCK_TIMEOUT_MS,
    staleMs: INSTALL_LOCK_STALE_MS,
    onWait: () => log(`${label}: waiting for another install of it to finish`),
  });
  let changed = false;
  try {
    const existing = await readInstallMeta(target);
    if (!existing || existing.integrity !== artifact.integrity) {
      await sweepStaleStaging();
      await stageAndMove(client, version, artifact, target, options.quiet ? null : label, log);
      changed = true;
    }
  } finally {
    await release();
  }
  return {
    name: version.name,
    version: version.version,
    dir: target,
    platform: artifact.platform,
    changed,
    deprecated: version.deprecated,
    yanked: version.yanked !== null,
    lockEntry: lockEntryFor(version, client.entry.url, request.range ?? request.pinned?.range),
  };
}

async function findPackage(request: InstallRequest, registries: RegistryEntry[]): Promise<{ client: RegistryClient; pkg: RemotePackage }> {
  // a pinned package comes from the registry the lock file names, when that one is configured
  const pinnedUrl = request.pinned?.registry;
  const ordered = pinnedUrl ? [...registries.filter((r) => r.url === pinnedUrl), ...registries.filter((r) => r.url !== pinnedUrl)] : registries;
  for (const entry of ordered) {
    const client = new RegistryClient(entry);
    const pkg = await client.getPackage(request.name);
    if (pkg) return { client, pkg };
  }
  throw new PackageError("PACKAGE_NOT_FOUND", `no registry has ${request.name} (looked in ${ordered.map((r) => r.url).join(", ")})`, {
    hint: "check the name with `heddle-host search`, or add the registry that has it with `heddle-host registry add`",
  });
}

/** The artifact for this machine: its exact platform, else `any`. Throws PLATFORM_UNSUPPORTED. */
function chooseArtifact(version: RemoteVersion): RemoteArtifact {
  const platform = currentPlatform();
  const artifact = version.artifacts.find((a) => a.platform === platform) ?? version.artifacts.find((a) => a.platform === "any");
  if (!artifact) {
    throw new PackageError("PLATFORM_UNSUPPORTED", `${version.name}@${version.version} has no archive for ${platform} (it has ${version.artifacts.map((a) => a.platform).join(", ")})`, {
      hint: "ask the publisher to build for this platform",
    });
  }
  return artifact;
}

/** A pinned version must still be served with the hashes the lock file recorded. */
function checkAgainstLock(version: RemoteVersion, pinned: LockEntry | undefined): void {
  if (!pinned || pinned.version !== version.version) return;
  for (const artifact of version.artifacts) {
    const locked = pinned.artifacts[artifact.platform];
    if (locked && (locked.integrity !== artifact.integrity || locked.sha256 !== artifact.sha256)) {
      throw new PackageError("INTEGRITY_MISMATCH", `${version.name}@${version.version} (${artifact.platform}) is served with ${artifact.integrity}, but heddle.lock recorded ${locked.integrity}`, {
        hint: "published versions never change, so the registry or the lock file was altered; investigate before installing",
      });
    }
  }
}

async function stageAndMove(client: RegistryClient, version: RemoteVersion, artifact: RemoteArtifact, target: string, progressLabel: string | null, log: (line: string) => void): Promise<void> {
  const label = `${version.name}@${version.version}`;
  const limits = archiveLimits();
  const staging = await createStagingDir();
  try {
    const archive = join(staging, "archive.tgz");
    const progress = progressLabel ? createProgress(progressLabel, "download") : silentProgress;
    await downloadArtifact(client, artifact, archive, progress, limits.maxArchiveBytes, label);
    const tree = join(staging, "plugin");
    await mkdir(tree);
    await safeExtract(archive, tree, limits, label);
    const manifest = await archivedManifest(tree, label);
    if (!archiveNameMatches(manifest.name, version.name) || manifest.version !== version.version) {
      throw new PackageError("INTEGRITY_MISMATCH", `${label}: the archive's heddle-plugin.json says ${String(manifest.name)}@${String(manifest.version)}`);
    }
    await preparePythonEnv(tree, manifest, log);
    const meta: InstallMeta = {
      name: version.name,
      version: version.version,
      platform: artifact.platform,
      registry: client.entry.url,
      integrity: artifact.integrity,
      sha256: artifact.sha256,
      publisherKeyId: version.publisher.keyId,
      installedAt: new Date().toISOString(),
    };
    await writeFile(join(tree, INSTALL_META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
    await mkdir(dirname(target), { recursive: true });
    if (await exists(target)) {
      // an older, different install of this version (e.g. hand-edited): swap it out
      const trash = join(staging, "previous");
      await rename(target, trash);
    }
    await rename(tree, target);
  } finally {
    await removeStagingDir(staging);
  }
}

async function archivedManifest(tree: string, label: string): Promise<PackageManifest> {
  try {
    return JSON.parse(await readFile(join(tree, MANIFEST_FILE), "utf8")) as PackageManifest;
  } catch (err) {
    throw new PackageError("MANIFEST_INVALID", `${label}: the archive has no readable heddle-plugin.json: ${(err as Error).message}`);
  }
}

/** The lock entry for an installed version: its registry, publisher key and every platform's hashes. */
export function lockEntryFor(version: RemoteVersion, registry: string, range?: string): LockEntry {
  const artifacts: LockEntry["artifacts"] = {};
  for (const a of version.artifacts) artifacts[a.platform] = { integrity: a.integrity, sha256: a.sha256, size: a.size };
  return { version: version.version, ...(range ? { range } : {}), registry, publisherKeyId: version.publisher.keyId, artifacts };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

