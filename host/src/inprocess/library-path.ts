// Where a native plugin's shared library is: the entrypoint itself when it
// is a .so; else a cargo package folder built with `cargo build --release
// --lib` (CARGO_TARGET_DIR shared as for runtime "rust"), or a Go module
// folder built with `go build -buildmode=c-shared` (the Go environment as for
// runtime "go"). The library lands in a cache entry keyed by the sources'
// hash (the plugin's and its local dependencies'), so an unchanged plugin
// loads at once.
import { copyFile, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Logger } from "../logger.js";
import { runBuildStep } from "../runtime/build-command.js";
import { buildInto, exists, hashPackage } from "../runtime/cache.js";
import { cargoLocalDeps, goLocalDeps } from "../runtime/local-deps.js";
import { InProcessError } from "./errors.js";

const rustFiles = (f: string) => f.endsWith(".rs") || /(^|\/)Cargo\.(toml|lock)$/.test(f);
// As runtime "go" hashes, plus C sources and headers: cgo compiles them into the library.
const goCgoFiles = (f: string) => /\.(go|c|h)$/.test(f) || /(^|\/)go\.(mod|sum)$/.test(f);

/** The cdylib file name a cargo package builds (`lib<lib name or package name>.so`), if it has a Cargo.toml. */
export async function cargoLibraryFile(dir: string): Promise<string | undefined> {
  const toml = await readFile(join(dir, "Cargo.toml"), "utf8").catch(() => undefined);
  if (toml === undefined) return undefined;
  const name = /\[lib\][^[]*?\bname\s*=\s*"([^"]+)"/.exec(toml)?.[1] ?? /\[package\][^[]*?\bname\s*=\s*"([^"]+)"/.exec(toml)?.[1];
  return name ? `lib${name.replaceAll("-", "_")}.so` : undefined;
}

/** The library file name for a Go module folder (`lib<last element of the module path>.so`), if it has a go.mod. */
export async function goLibraryFile(dir: string): Promise<string | undefined> {
  const mod = await readFile(join(dir, "go.mod"), "utf8").catch(() => undefined);
  if (mod === undefined) return undefined;
  const path = /^\s*module\s+"?([^\s"]+)"?/m.exec(mod)?.[1] ?? "plugin";
  return `lib${path.split("/").pop()!.replace(/[^A-Za-z0-9_.-]/g, "_")}.so`;
}

/** How to build one kind of library folder. */
interface LibraryBuild {
  lib: string;
  /** Hash of the sources (the folder's and its local dependencies'). */
  key: () => Promise<string>;
  /** Compiles outside the cache entry, if the tool has its own output place. Fails with BUILD_FAILED. */
  compile?: () => Promise<void>;
  /** Puts the library at `staging/lib`. Fails with BUILD_FAILED. */
  place: (staging: string) => Promise<void>;
}

/** Resolves (building when needed) the library of a plugin. Fails with MANIFEST_INVALID or BUILD_FAILED. */
export async function resolveLibrary(plugin: string, dir: string, entrypoint: string, cacheRoot: string, log: Logger, signal?: AbortSignal): Promise<string> {
  const entry = resolve(dir, entrypoint);
  const info = await stat(entry).catch(() => undefined);
  if (info?.isFile()) return entry;
  const how = info?.isDirectory() ? (await cargoBuild(plugin, entry, cacheRoot, log, signal)) ?? (await goBuild(plugin, entry, log, signal)) : undefined;
  if (!how) {
    throw new InProcessError("MANIFEST_INVALID", `entrypoint ${JSON.stringify(entrypoint)} of ${plugin} is neither a shared library nor a cargo package or Go module folder`, {
      plugin, component: "heddle-plugin.json", field: "/entrypoint", hint: "point \"entrypoint\" at the .so, or at the crate or Go module folder (\".\")",
    });
  }
  const cached = join(cacheRoot, "native", await how.key(), how.lib);
  if (await exists(cached)) return cached;
  await how.compile?.();
  // Keyed after compiling: a first cargo build may write Cargo.lock, which is part of the key.
  const finalDir = join(cacheRoot, "native", await how.key());
  if (!(await exists(join(finalDir, how.lib)))) await buildInto(finalDir, how.place);
  return join(finalDir, how.lib);
}

/** A cargo package folder: `cargo build --release --lib` in the shared target dir, then the cdylib copied into the cache. */
async function cargoBuild(plugin: string, entry: string, cacheRoot: string, log: Logger, signal?: AbortSignal): Promise<LibraryBuild | undefined> {
  const lib = await cargoLibraryFile(entry);
  if (!lib) return undefined;
  const targetDir = process.env.CARGO_TARGET_DIR || join(cacheRoot, "rust", "target");
  return {
    lib,
    key: async () => hashPackage([lib], entry, await cargoLocalDeps(entry), rustFiles),
    compile: () => runBuildStep({
      plugin, log, signal, what: "cargo build --release --lib", command: "cargo", args: ["build", "--release", "--lib"],
      cwd: entry, env: { CARGO_TARGET_DIR: targetDir },
    }),
    place: (staging) => copyFile(join(targetDir, "release", lib), join(staging, lib)),
  };
}

/** A Go module folder whose main package calls native.Export: `go build -buildmode=c-shared` straight into the cache. */
async function goBuild(plugin: string, entry: string, log: Logger, signal?: AbortSignal): Promise<LibraryBuild | undefined> {
  const lib = await goLibraryFile(entry);
  if (!lib) return undefined;
  return {
    lib,
    key: async () => hashPackage(["go c-shared", lib], entry, await goLocalDeps(entry), goCgoFiles),
    place: (staging) => runBuildStep({
      plugin, log, signal, what: "go build -buildmode=c-shared", command: "go",
      args: ["build", "-buildmode=c-shared", "-o", join(staging, lib), "."],
      // cgo is what makes a c-shared library; a CGO_ENABLED=0 environment would only get a puzzling error.
      cwd: entry, env: { CGO_ENABLED: "1" },
      hint: "fix the error above; a Go in-process plugin also needs a C compiler (gcc or clang) on PATH for cgo",
    }),
  };
}
