// runtime "rust": a prebuilt executable entrypoint runs as it is; otherwise
// `cargo build --release` with CARGO_TARGET_DIR (the caller's, else one in the shared cache, so
// dependencies compile once for every plugin), and the binary is copied to a
// cache entry keyed by the sources' hash (the package's and its local path
// dependencies' and workspace's) so an unchanged plugin starts at once.
import { copyFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { ManifestError } from "../errors.js";
import { runBuildStep } from "./build-command.js";
import { buildInto, exists, hashPackage } from "./cache.js";
import { entrypointPath, isExecutable } from "./exec.js";
import { cargoBinaryName, cargoLocalDeps } from "./local-deps.js";
import type { LaunchSpec, PrepareContext } from "./types.js";

const rustFiles = (f: string) => f.endsWith(".rs") || /(^|\/)Cargo\.(toml|lock)$/.test(f);

/**
 * Prepares a rust plugin. The entrypoint is an executable, a package folder
 * (`.`: its binary is built), or a binary name. Fails with BUILD_FAILED or
 * MANIFEST_INVALID (no binary to build).
 */
export async function prepareRust(ctx: PrepareContext): Promise<LaunchSpec> {
  const entry = entrypointPath(ctx);
  if (await isExecutable(entry)) return { command: entry, args: [], cwd: ctx.source.dir, env: {} };

  const isFolder = await stat(entry).then((s) => s.isDirectory(), () => false);
  const packageDir = isFolder ? entry : ctx.source.dir;
  const bin = isFolder ? await cargoBinaryName(packageDir) : basename(ctx.source.json.entrypoint);
  if (!bin) {
    throw new ManifestError(`no Cargo.toml with a binary in ${packageDir}`, {
      plugin: ctx.source.json.name, component: "heddle-plugin.json", field: "/entrypoint",
      hint: "point \"entrypoint\" at the package folder (\".\") or name its binary",
    });
  }
  const cacheKey = async () => hashPackage([bin], packageDir, await cargoLocalDeps(packageDir), rustFiles);
  const cached = join(ctx.cacheRoot, "rust", "bin", await cacheKey(), bin);
  if (await exists(cached)) return { command: cached, args: [], cwd: ctx.source.dir, env: {} };

  // An exported CARGO_TARGET_DIR (the Makefile sets one outside the clone) is
  // shared with the developer's own cargo runs, so nothing compiles twice.
  const targetDir = process.env.CARGO_TARGET_DIR || join(ctx.cacheRoot, "rust", "target");
  await runBuildStep({
    plugin: ctx.source.json.name,
    log: ctx.log,
    signal: ctx.signal,
    what: `cargo build --release --bin ${bin}`,
    command: "cargo",
    args: ["build", "--release", "--bin", bin],
    cwd: packageDir,
    env: { CARGO_TARGET_DIR: targetDir },
  });
  // Keyed after the build: the first build may have written Cargo.lock, which is part of the key.
  const finalDir = join(ctx.cacheRoot, "rust", "bin", await cacheKey());
  await buildInto(finalDir, (staging) => copyFile(join(targetDir, "release", bin), join(staging, bin)));
  return { command: join(finalDir, bin), args: [], cwd: ctx.source.dir, env: {} };
}
