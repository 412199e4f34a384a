// runtime "node": .js/.cjs/.mjs run as they are; .ts is bundled with esbuild
// (cjs, platform node) into the cache, keyed by the hash of the output, so
// users need no build step and an unchanged plugin is never rewritten.
import { mkdir, rename, writeFile } from "node:fs/promises";
import { basename, delimiter, extname, join } from "node:path";
import type { Message } from "esbuild";
import { PluginStartError } from "../errors.js";
import { exists, hashParts } from "./cache.js";
import { entrypointPath, requireEntrypointFile } from "./exec.js";
import { sdkNodeModules } from "./locate.js";
import type { LaunchSpec, PrepareContext } from "./types.js";

const TYPESCRIPT_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".tsx"]);

/** Prepares a node plugin. Fails with BUILD_FAILED when esbuild cannot transpile the entrypoint. */
export async function prepareNode(ctx: PrepareContext): Promise<LaunchSpec> {
  const entry = entrypointPath(ctx);
  await requireEntrypointFile(ctx, entry);
  const script = TYPESCRIPT_EXTENSIONS.has(extname(entry)) ? await transpile(ctx, entry) : entry;
  return {
    command: process.execPath,
    args: ["--enable-source-maps", script],
    cwd: ctx.source.dir,
    env: { NODE_PATH: nodePath(ctx.source.dir) },
  };
}

/** NODE_PATH for a plugin: its own node_modules, then the one holding @heddle/sdk, then the caller's. */
export function nodePath(pluginDir: string): string {
  const parts = [join(pluginDir, "node_modules")];
  const sdk = sdkNodeModules();
  if (sdk) parts.push(sdk);
  if (process.env.NODE_PATH) parts.push(process.env.NODE_PATH);
  return parts.join(delimiter);
}

async function transpile(ctx: PrepareContext, entry: string): Promise<string> {
  let code: string;
  try {
    // Loaded on first use: most starts (and every non-TypeScript plugin) never need it.
    const { build } = await import("esbuild");
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      // Dependencies stay require()s resolved at run time (NODE_PATH), only the plugin's own files are bundled.
      packages: "external",
      format: "cjs",
      platform: "node",
      target: "node20",
      sourcemap: "inline",
      write: false,
      logLevel: "silent",
      absWorkingDir: ctx.source.dir,
    });
    code = result.outputFiles[0]!.text;
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    const text = errors?.length ? errors.map(formatMessage).join("\n") : (err as Error).message;
    throw new PluginStartError("BUILD_FAILED", `esbuild could not transpile ${ctx.source.json.entrypoint}:\n${text}`, {
      plugin: ctx.source.json.name,
      component: ctx.source.json.entrypoint,
      hint: "fix the TypeScript error above and start the plugin again",
      cause: err,
    });
  }
  const dir = join(ctx.cacheRoot, "node", hashParts(entry, code));
  const file = join(dir, basename(entry).replace(/\.[cm]?tsx?$/, ".cjs"));
  if (!(await exists(file))) {
    await mkdir(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, code);
    await rename(tmp, file);
    ctx.log.debug("transpiled TypeScript entrypoint", { file });
  }
  return file;
}

function formatMessage(m: Message): string {
  const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : "";
  return `${where}${m.text}`;
}
