// TypeScript/JavaScript plugins ship bundled: one CommonJS file holding the
// plugin's own code and its own dependencies, so an installed plugin needs
// no node_modules and no build step. The SDK and the packages it shares with
// plugins (grpc-js, apache-arrow, zod, ...) stay external: the host provides
// them at run time (NODE_PATH), as it provides the Python SDK to Python
// plugins. Bundling them would also break: grpc-health-check reads .proto
// files next to its sources, and a second copy of apache-arrow would make
// tables from the plugin fail the SDK's instanceof checks.
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { PackageError } from "./errors.js";

/** Path of the bundle inside a packed node plugin. */
export const BUNDLE_PATH = "heddle-bundle.cjs";

const SDK_PACKAGE = "@heddle/sdk";

/**
 * Bundles `<dir>/<entrypoint>` with esbuild (platform node, CommonJS, Node 20)
 * and returns the bundle's bytes. Paths in the output are relative to `dir`,
 * so the same folder gives the same bytes wherever it is packed from.
 * Throws PackageError BUILD_FAILED with esbuild's messages.
 */
export async function bundleNodePlugin(dir: string, entrypoint: string): Promise<Buffer> {
  try {
    const result = await build({
      absWorkingDir: dir,
      entryPoints: [join(dir, entrypoint)],
      outfile: join(dir, BUNDLE_PATH),
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      external: hostProvidedPackages(dir),
      write: false,
      logLevel: "silent",
      legalComments: "none",
      sourcemap: false,
    });
    const file = result.outputFiles.find((f) => f.path.endsWith(BUNDLE_PATH));
    if (!file) throw new Error("esbuild produced no output file");
    return Buffer.from(file.contents);
  } catch (err) {
    const errors = (err as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors;
    const detail = errors?.length
      ? errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ""}${e.text}`).join("\n")
      : (err as Error).message;
    throw new PackageError("BUILD_FAILED", `bundling ${entrypoint} failed:\n${detail}`, {
      hint: "fix the build errors, or pack without bundling (--no-bundle) if the plugin cannot be bundled",
    });
  }
}

/** The SDK and its dependencies (and their subpaths), as esbuild externals. */
export function hostProvidedPackages(dir: string): string[] {
  const names = [SDK_PACKAGE];
  for (const from of [join(dir, "package.json"), import.meta.url]) {
    try {
      const manifest = createRequire(from).resolve(`${SDK_PACKAGE}/package.json`);
      names.push(...Object.keys((JSON.parse(readFileSync(manifest, "utf8")) as { dependencies?: Record<string, string> }).dependencies ?? {}));
      break;
    } catch {
      // not resolvable from here: try the host's own location
    }
  }
  return [...new Set(names)].sort().flatMap((n) => [n, `${n}/*`]);
}
