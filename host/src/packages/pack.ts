// `heddle-host pack`: a plugin folder → one reproducible .tgz per platform.
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bundleNodePlugin, BUNDLE_PATH } from "./bundle-node.js";
import { isUnder, listPackageFiles, type PackFile } from "./file-list.js";
import { PackageError } from "./errors.js";
import { MANIFEST_FILE, packageNameOf, platformTargets, readPackageManifest, type NameOverrides, type PackageManifest, type PlatformTarget } from "./package-manifest.js";
import { prebuildBinaries, type BuiltBinary } from "./prebuild.js";
import { writeReproducibleTgz, type TarEntry, type WrittenArchive } from "./tar-writer.js";

/** Options of {@link packPlugin}. */
export interface PackOptions {
  /** Folder the archives are written to (created if needed). */
  outDir: string;
  /** Full name or namespace when the manifest's name does not say (see packageNameOf). */
  naming?: NameOverrides;
  /** Bundle node plugins with esbuild (default true). */
  bundle?: boolean;
  /** Go/Rust: build binaries for these platforms ([] = this machine) and ship one archive each. */
  build?: string[];
}

/** One written archive and the platform it is for. */
export interface PackedArtifact extends WrittenArchive {
  platform: string;
  os: string;
  arch: string;
}

/** What `pack` produced. */
export interface PackResult {
  /** The manifest as read from the folder, with `name` set to the full package name. */
  manifest: PackageManifest;
  artifacts: PackedArtifact[];
}

/**
 * Packs a plugin folder. Each platform's archive holds the common files, the
 * platform's own `files`, and a `heddle-plugin.json` specialised for it (its
 * entrypoint; no `artifacts` list). Node plugins get a bundle as entrypoint.
 * The same folder always gives the same bytes.
 * Throws PackageError MANIFEST_INVALID, UNSAFE_ARCHIVE, USAGE or BUILD_FAILED.
 */
export async function packPlugin(dir: string, options: PackOptions): Promise<PackResult> {
  const root = resolve(dir);
  const source = await readPackageManifest(root);
  const manifest: PackageManifest = { ...source, name: packageNameOf(source, options.naming) };
  // the archive keeps the author's name unless it was overridden, so the unpacked folder is the folder that was packed
  const archivedName = options.naming?.name ?? source.name;
  const files = (await listPackageFiles(root)).filter((f) => f.path !== MANIFEST_FILE);
  const bundle = manifest.runtime === "node" && options.bundle !== false ? await bundleNodePlugin(root, manifest.entrypoint) : null;
  try {
    await mkdir(options.outDir, { recursive: true });
  } catch (err) {
    throw new PackageError("USAGE", `cannot create the output folder ${options.outDir}: ${(err as Error).message}`);
  }
  if (options.build) {
    if (manifest.artifacts?.length) throw new PackageError("USAGE", "--build makes the per-platform archives itself; remove artifacts from heddle-plugin.json or pack without --build");
    const buildDir = await mkdtemp(join(tmpdir(), "heddle-build-"));
    try {
      const built = await prebuildBinaries(root, manifest, options.build, buildDir);
      const withArtifacts: PackageManifest = { ...manifest, artifacts: built.map((b) => ({ os: b.os, arch: b.arch, entrypoint: b.entrypoint })) };
      return { manifest: withArtifacts, artifacts: await writeArchives(withArtifacts, archivedName, files, null, built, options.outDir) };
    } finally {
      await rm(buildDir, { recursive: true, force: true });
    }
  }
  return { manifest, artifacts: await writeArchives(manifest, archivedName, files, bundle, [], options.outDir) };
}

/** Writes one archive per platform target (plus a prebuilt binary each when `built` is given). */
async function writeArchives(manifest: PackageManifest, archivedName: string, files: PackFile[], bundle: Buffer | null, built: BuiltBinary[], outDir: string): Promise<PackedArtifact[]> {
  const targets = platformTargets(manifest);
  const platformOnly = targets.flatMap((t) => t.files);

  const artifacts: PackedArtifact[] = [];
  for (const target of targets) {
    const own = files.filter((f) => !platformOnly.some((p) => isUnder(f.path, p)) || target.files.some((p) => isUnder(f.path, p)));
    const entries: TarEntry[] = own.map((f) =>
      f.kind === "symlink"
        ? { path: f.path, kind: "symlink", linkpath: f.linkpath! }
        : { path: f.path, kind: "file", source: f.source, size: f.size, executable: f.executable },
    );
    if (bundle) entries.push({ path: BUNDLE_PATH, kind: "bytes", data: bundle, executable: false });
    const binary = built.find((b) => b.platform === target.platform);
    if (binary) entries.push({ path: binary.entrypoint, kind: "file", source: binary.file, size: (await stat(binary.file)).size, executable: true });
    entries.push({ path: MANIFEST_FILE, kind: "bytes", data: archivedManifest({ ...manifest, name: archivedName }, target, bundle !== null), executable: false });
    entries.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
    const outFile = join(outDir, archiveFileName(manifest, target.platform));
    const written = await writeReproducibleTgz(entries, outFile);
    artifacts.push({ ...written, platform: target.platform, os: target.os, arch: target.arch });
  }
  return artifacts;
}

/** `<namespace>-<name>-<version>-<platform>.tgz`. */
export function archiveFileName(manifest: PackageManifest, platform: string): string {
  return `${manifest.name.replace("/", "-")}-${manifest.version}-${platform}.tgz`;
}

function archivedManifest(manifest: PackageManifest, target: PlatformTarget, bundled: boolean): Buffer {
  const copy: Record<string, unknown> = { ...manifest, entrypoint: bundled ? BUNDLE_PATH : target.entrypoint };
  delete copy.artifacts;
  if (target.platform !== "any") copy.platform = target.platform;
  if (bundled) copy.sourceEntrypoint = manifest.entrypoint;
  return Buffer.from(`${JSON.stringify(copy, null, 2)}\n`);
}
