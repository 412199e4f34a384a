// runtime "node": .js/.cjs/.mjs run as they are; .ts is bundled with esbuild
// (cjs, platform node) into the cache, keyed by the hash of the output, so
// users need no build step and an unchanged plugin is never rewritten. A
// record of the files each build read lets an unchanged plugin skip esbuild.
import { statSync } from "node:fs";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { basename, delimiter, dirname, extname, join, resolve } from "node:path";
import type { Message, Plugin } from "esbuild";
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
    // --enable-source-maps made Node 20 read and parse the .map of every module the plugin
    // loads (apache-arrow alone ships ~330): ~25-40 ms of every start. Only when stacks are shown.
    args: [...(process.env.HEDDLE_SHOW_STACK ? ["--enable-source-maps"] : []), script],
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

/** Packages inlined into a transpiled plugin: the SDK and the pure-JS protobuf runtime of its generated code. */
const INLINED_PACKAGES = /^(@heddle\/sdk|@bufbuild\/protobuf)(\/|$)/;

/**
 * esbuild plugin: bare imports stay run-time require()s (NODE_PATH) except
 * INLINED_PACKAGES. Node 20 pays ~0.5 ms per CommonJS file it compiles, and
 * the SDK is 63 files (44 of its own, 19 of @bufbuild/protobuf).
 */
const externalExceptSdk: Plugin = {
  name: "heddle-external-except-sdk",
  setup(b) {
    b.onResolve({ filter: /^[^./]|^\.[^./]|^\.\.[^/]/ }, (args) =>
      INLINED_PACKAGES.test(args.path) ? undefined : { path: args.path, external: true });
  },
};

/** What the last build of an entrypoint read, so an unchanged plugin skips esbuild entirely. */
interface BuildRecord {
  output: string;
  inputs: Array<{ path: string; size: number; mtimeMs: number }>;
}

/** Part of the record key: bump when the build options change. */
const BUILD_OPTIONS_KEY = "cjs node20 inline=@heddle/sdk,@bufbuild/protobuf sourcemap=inline,no-content v1";

/** The cached bundle when none of the files the last build read changed since, else undefined. */
async function cachedBuild(recordFile: string): Promise<string | undefined> {
  try {
    const rec = JSON.parse(await readFile(recordFile, "utf8")) as BuildRecord;
    // statSync: ~70 stats (plugin + inlined SDK files) take ~0.3 ms in one go, several ms through the thread pool.
    const same = rec.inputs.every((i) => {
      const st = statSync(i.path);
      return st.size === i.size && st.mtimeMs === i.mtimeMs;
    });
    return same && (await exists(rec.output)) ? rec.output : undefined;
  } catch {
    return undefined; // no record, a vanished input, a corrupt record: build
  }
}

async function transpile(ctx: PrepareContext, entry: string): Promise<string> {
  const recordFile = join(ctx.cacheRoot, "node-builds", `${hashParts(BUILD_OPTIONS_KEY, entry, process.env.NODE_PATH ?? "")}.json`);
  const cached = await cachedBuild(recordFile);
  if (cached) return cached;
  const buildStarted = Date.now();
  let code: string;
  let inputs: string[];
  try {
    // Loaded on first use: most starts (and every non-TypeScript plugin) never need it.
    const { build } = await import("esbuild");
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      // Dependencies stay require()s resolved at run time (NODE_PATH); the plugin's own files and the SDK are bundled.
      plugins: [externalExceptSdk],
      nodePaths: nodePath(ctx.source.dir).split(delimiter),
      format: "cjs",
      platform: "node",
      target: "node20",
      sourcemap: "inline",
      sourcesContent: false, // the map points at the files on disk; keeps the bundle small
      metafile: true,
      write: false,
      logLevel: "silent",
      absWorkingDir: ctx.source.dir,
    });
    code = result.outputFiles[0]!.text;
    inputs = Object.keys(result.metafile.inputs).map((p) => resolve(ctx.source.dir, p));
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
  const record: BuildRecord = {
    output: file,
    inputs: await Promise.all(inputs.map(async (path) => {
      const st = await stat(path);
      return { path, size: st.size, mtimeMs: st.mtimeMs };
    })),
  };
  // A file edited during (or just before) the build may not be in this output: leave no record, build again next time.
  if (record.inputs.some((i) => i.mtimeMs >= buildStarted - 1000)) return file;
  await mkdir(dirname(recordFile), { recursive: true });
  const tmpRecord = `${recordFile}.${process.pid}.tmp`;
  await writeFile(tmpRecord, JSON.stringify(record));
  await rename(tmpRecord, recordFile);
  return file;
}

function formatMessage(m: Message): string {
  const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : "";
  return `${where}${m.text}`;
}
