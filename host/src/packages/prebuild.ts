// Go and Rust plugins ship prebuilt binaries, one archive per platform:
// `pack --build [platforms]` compiles the plugin and puts the binary in each
// platform's archive, so installing it needs no toolchain. Go cross-compiles
// (GOOS/GOARCH, CGO off); Rust builds for this machine only.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { PackageError } from "./errors.js";
import { heddleHome } from "./options.js";
import { currentPlatform, type PackageManifest } from "./package-manifest.js";

/** A binary built for one platform. */
export interface BuiltBinary {
  platform: string;
  os: string;
  arch: string;
  /** The binary on disk. */
  file: string;
  /** Where it goes in the archive (the platform's entrypoint). */
  entrypoint: string;
}

const GOOS: Record<string, string> = { linux: "linux", darwin: "darwin", win32: "windows", freebsd: "freebsd" };
const GOARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" };

/**
 * Builds `manifest`'s plugin in `root` for each of `platforms` (`linux-x64`,
 * ...; empty = this machine) into `outDir`. Throws PackageError USAGE for a
 * runtime that is not go/rust or a platform it cannot build for, and
 * BUILD_FAILED with the compiler output.
 */
export async function prebuildBinaries(root: string, manifest: PackageManifest, platforms: string[], outDir: string): Promise<BuiltBinary[]> {
  const wanted = platforms.length > 0 ? [...new Set(platforms)].sort() : [currentPlatform()];
  if (manifest.runtime === "go") return Promise.all(wanted.map((p) => buildGo(root, manifest, p, outDir)));
  if (manifest.runtime === "rust") {
    const foreign = wanted.filter((p) => p !== currentPlatform());
    if (foreign.length > 0) {
      throw new PackageError("USAGE", `Rust plugins are built for this machine only (${currentPlatform()}), not ${foreign.join(", ")}`, { hint: "build on each platform and list the binaries under artifacts in heddle-plugin.json" });
    }
    return [await buildRust(root, manifest)];
  }
  throw new PackageError("USAGE", `--build applies to go and rust plugins; this one's runtime is ${manifest.runtime}`);
}

async function buildGo(root: string, manifest: PackageManifest, platform: string, outDir: string): Promise<BuiltBinary> {
  const [os, arch] = platform.split("-") as [string, string];
  const goos = GOOS[os];
  const goarch = GOARCH[arch];
  if (!goos || !goarch) throw new PackageError("USAGE", `cannot build Go for ${platform}: use <os>-<arch> with os in ${Object.keys(GOOS).join(", ")} and arch in ${Object.keys(GOARCH).join(", ")}`);
  const name = binaryName(manifest, os);
  const file = join(outDir, "bin", platform, name);
  const pkg = manifest.entrypoint === "." || manifest.entrypoint.startsWith("./") ? manifest.entrypoint : `./${manifest.entrypoint}`;
  await run("go", ["build", "-trimpath", "-buildvcs=false", "-o", file, pkg], root, { GOOS: goos, GOARCH: goarch, CGO_ENABLED: "0" }, `go build for ${platform}`);
  return { platform, os, arch, file, entrypoint: `bin/${platform}/${name}` };
}

async function buildRust(root: string, manifest: PackageManifest): Promise<BuiltBinary> {
  const platform = currentPlatform();
  const [os, arch] = platform.split("-") as [string, string];
  const crate = manifest.entrypoint === "." ? await cargoPackageName(root) : manifest.entrypoint;
  const targetDir = process.env.CARGO_TARGET_DIR || join(heddleHome(), "cache", "cargo-target");
  await run("cargo", ["build", "--release", "--quiet", "--bin", crate, "--manifest-path", join(root, "Cargo.toml")], root, { CARGO_TARGET_DIR: targetDir }, "cargo build --release");
  const name = os === "win32" ? `${crate}.exe` : crate;
  // cargo's target folder already holds the binary, so outDir is not needed here
  return { platform, os, arch, file: join(targetDir, "release", name), entrypoint: `bin/${platform}/${name}` };
}

async function cargoPackageName(root: string): Promise<string> {
  const toml = await readFile(join(root, "Cargo.toml"), "utf8").catch(() => {
    throw new PackageError("BUILD_FAILED", `${root} has no Cargo.toml to build`);
  });
  const pkg = /\[package\][^[]*?\bname\s*=\s*"([^"]+)"/s.exec(toml);
  if (!pkg) throw new PackageError("BUILD_FAILED", `cannot find [package] name in ${join(root, "Cargo.toml")}`, { hint: "set entrypoint to the binary name" });
  return pkg[1]!;
}

function binaryName(manifest: PackageManifest, os: string): string {
  const base = manifest.name.split("/").pop()!;
  return os === "win32" ? `${base}.exe` : base;
}

async function run(file: string, args: string[], cwd: string, env: Record<string, string>, what: string): Promise<void> {
  const result = await execa(file, args, { cwd, env, reject: false, all: true });
  if (result.exitCode !== 0 || result.failed) {
    throw new PackageError("BUILD_FAILED", `${what} failed:\n${String(result.all ?? result.message).trim()}`, { hint: "fix the build, or list prebuilt binaries under artifacts in heddle-plugin.json" });
  }
}
