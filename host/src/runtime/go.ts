// runtime "go": a prebuilt executable entrypoint runs as it is; otherwise the
// package is built with `go build` into the cache, keyed by the hash of every
// *.go file plus go.mod/go.sum (the plugin's and those of local `replace`
// targets), so an unchanged plugin is never rebuilt.
import { dirname, join } from "node:path";
import { runBuildStep } from "./build-command.js";
import { buildInto, exists, hashPackage } from "./cache.js";
import { entrypointPath, isExecutable } from "./exec.js";
import { goLocalDeps } from "./local-deps.js";
import type { LaunchSpec, PrepareContext } from "./types.js";

/** Prepares a go plugin. Fails with BUILD_FAILED quoting the compiler output. */
export async function prepareGo(ctx: PrepareContext): Promise<LaunchSpec> {
  const entry = entrypointPath(ctx);
  if (await isExecutable(entry)) return { command: entry, args: [], cwd: ctx.source.dir, env: {} };

  const pkg = goPackage(ctx.source.json.entrypoint);
  const goFiles = (f: string) => f.endsWith(".go") || /(^|\/)go\.(mod|sum)$/.test(f);
  const key = await hashPackage([pkg], ctx.source.dir, await goLocalDeps(ctx.source.dir), goFiles);
  const finalDir = join(ctx.cacheRoot, "go", key);
  const binary = join(finalDir, "plugin");
  if (await exists(binary)) return { command: binary, args: [], cwd: ctx.source.dir, env: {} };

  await buildInto(finalDir, (staging) => runBuildStep({
    plugin: ctx.source.json.name,
    log: ctx.log,
    signal: ctx.signal,
    what: `go build ${pkg}`,
    command: "go",
    args: ["build", "-o", join(staging, "plugin"), pkg],
    cwd: ctx.source.dir,
  }));
  return { command: binary, args: [], cwd: ctx.source.dir, env: {} };
}

/** The package to build for an entrypoint: `main.go` → `.`, `cmd/x/main.go` → `./cmd/x`, `./cmd/x` as is. */
export function goPackage(entrypoint: string): string {
  const pkg = entrypoint.endsWith(".go") ? dirname(entrypoint) : entrypoint;
  if (pkg === "." || pkg === "" || pkg === "./") return ".";
  return pkg.startsWith("./") || pkg.startsWith("/") ? pkg : `./${pkg}`;
}
