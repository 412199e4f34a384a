// Where a native plugin's shared library is: the entrypoint itself when it
// is a .so, else a cargo package folder built with
// `cargo build --release --lib` (CARGO_TARGET_DIR shared as for runtime
// "rust") and copied into a cache entry keyed by the sources' hash, so an
// unchanged plugin loads at once.
import { copyFile, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Logger } from "../logger.js";
import { runBuildStep } from "../runtime/build-command.js";
import { buildInto, exists, hashParts, hashTree } from "../runtime/cache.js";
import { cargoLocalDeps } from "../runtime/local-deps.js";
import { InProcessError } from "./errors.js";

const rustFiles = (f: string) => f.endsWith(".rs") || /(^|\/)Cargo\.(toml|lock)$/.test(f);

/** The cdylib file name a cargo package builds (`lib<lib name or package name>.so`), if it has a Cargo.toml. */
export async function cargoLibraryFile(dir: string): Promise<string | undefined> {
  const toml = await readFile(join(dir, "Cargo.toml"), "utf8").catch(() => undefined);
  if (toml === undefined) return undefined;
  const name = /\[lib\][^[]*?\bname\s*=\s*"([^"]+)"/.exec(toml)?.[1] ?? /\[package\][^[]*?\bname\s*=\s*"([^"]+)"/.exec(toml)?.[1];
  return name ? `lib${name.replaceAll("-", "_")}.so` : undefined;
}

/** Resolves (building when needed) the library of a plugin. Fails with MANIFEST_INVALID or BUILD_FAILED. */
export async function resolveLibrary(plugin: string, dir: string, entrypoint: string, cacheRoot: string, log: Logger, signal?: AbortSignal): Promise<string> {
  const entry = resolve(dir, entrypoint);
  const info = await stat(entry).catch(() => undefined);
  if (info?.isFile()) return entry;
  const lib = info?.isDirectory() ? await cargoLibraryFile(entry) : undefined;
  if (!lib) {
    throw new InProcessError("MANIFEST_INVALID", `entrypoint ${JSON.stringify(entrypoint)} of ${plugin} is neither a shared library nor a cargo package folder`, {
      plugin, component: "heddle-plugin.json", field: "/entrypoint", hint: "point \"entrypoint\" at the .so or at the crate folder (\".\")",
    });
  }
  const cacheKey = async () => {
    const parts = [lib, await hashTree(entry, rustFiles)];
    for (const dep of await cargoLocalDeps(entry)) parts.push(dep, await hashTree(dep, rustFiles));
    return hashParts(...parts);
  };
  const cached = join(cacheRoot, "native", await cacheKey(), lib);
  if (await exists(cached)) return cached;
  const targetDir = process.env.CARGO_TARGET_DIR || join(cacheRoot, "rust", "target");
  await runBuildStep({
    plugin, log, signal, what: "cargo build --release --lib", command: "cargo", args: ["build", "--release", "--lib"],
    cwd: entry, env: { CARGO_TARGET_DIR: targetDir },
  });
  const finalDir = join(cacheRoot, "native", await cacheKey());
  await buildInto(finalDir, (staging) => copyFile(join(targetDir, "release", lib), join(staging, lib)));
  return join(finalDir, lib);
}
