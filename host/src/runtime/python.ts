// runtime "python": picks the interpreter (plugin .venv, HEDDLE_PYTHON, a
// cached per-plugin venv built from requirements.txt, or the host's SDK venv).
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { execa } from "execa";
import { PluginStartError } from "../errors.js";
import { runBuildStep } from "./build-command.js";
import { buildInto, exists, hashParts } from "./cache.js";
import { entrypointPath, requireEntrypointFile } from "./exec.js";
import { sdkPython, sdkPythonSource } from "./locate.js";
import type { LaunchSpec, PrepareContext } from "./types.js";

/** Which interpreter a python plugin runs with, and why (for logs and tests). */
export interface PythonChoice {
  python: string;
  reason: "plugin-venv" | "HEDDLE_PYTHON" | "requirements-venv" | "sdk-venv" | "path";
}

/** Prepares a python plugin. Fails with BUILD_FAILED when its requirements venv cannot be built. */
export async function preparePython(ctx: PrepareContext): Promise<LaunchSpec> {
  const entry = entrypointPath(ctx);
  await requireEntrypointFile(ctx, entry);
  const choice = await choosePython(ctx);
  ctx.log.debug(`python interpreter: ${choice.python} (${choice.reason})`);
  const env: Record<string, string> = { PYTHONUNBUFFERED: "1" };
  const sdkSource = sdkPythonSource();
  // A plugin with its own venv brings its own SDK; the others get the monorepo's SDK sources too.
  if (sdkSource && choice.reason !== "plugin-venv" && choice.reason !== "HEDDLE_PYTHON") {
    env.PYTHONPATH = [sdkSource, process.env.PYTHONPATH].filter(Boolean).join(delimiter);
    ensureBytecode(choice.python, join(sdkSource, "heddle"), ctx);
  }
  return { command: choice.python, args: ["-u", entry], cwd: ctx.source.dir, env };
}

/** Chooses the interpreter, building the requirements venv if that is the choice. */
export async function choosePython(ctx: PrepareContext): Promise<PythonChoice> {
  const own = join(ctx.source.dir, ".venv", "bin", "python");
  if (await exists(own)) return { python: own, reason: "plugin-venv" };
  if (process.env.HEDDLE_PYTHON) return { python: process.env.HEDDLE_PYTHON, reason: "HEDDLE_PYTHON" };
  const requirements = join(ctx.source.dir, "requirements.txt");
  if (await exists(requirements)) return { python: await requirementsVenv(ctx, requirements), reason: "requirements-venv" };
  const sdk = sdkPython();
  if (sdk && (await exists(sdk))) return { python: sdk, reason: "sdk-venv" };
  return { python: "python3", reason: "path" };
}

/**
 * Builds (once) a venv for the plugin's requirements.txt under
 * `<cache>/python/<hash>`. It sees the SDK venv's packages through a .pth
 * file, so only the plugin's extra requirements are installed into it.
 */
async function requirementsVenv(ctx: PrepareContext, requirementsFile: string): Promise<string> {
  const requirements = await readFile(requirementsFile, "utf8");
  const basePython = sdkPython() ?? "python3";
  const finalDir = join(ctx.cacheRoot, "python", hashParts(requirements, basePython));
  const python = join(finalDir, "bin", "python");
  if (await exists(python)) return python;

  const plugin = ctx.source.json.name;
  await buildInto(finalDir, async (staging) => {
    await runBuildStep({
      plugin, log: ctx.log, signal: ctx.signal, what: "python -m venv", command: basePython,
      args: ["-m", "venv", "--without-pip", staging], cwd: ctx.source.dir,
    });
    const stagedPython = join(staging, "bin", "python");
    const sitePackages = await purelib(stagedPython, plugin);
    const visible = [await purelib(basePython, plugin).catch(() => undefined), sdkPythonSource()].filter(Boolean);
    await writeFile(join(sitePackages, "_heddle_sdk.pth"), visible.join("\n") + "\n");
    if (hasRequirements(requirements)) {
      await runBuildStep({
        plugin, log: ctx.log, signal: ctx.signal, what: "pip install -r requirements.txt", command: basePython,
        args: ["-m", "pip", "--python", stagedPython, "install", "--disable-pip-version-check", "-r", requirementsFile],
        cwd: ctx.source.dir,
        hint: "check requirements.txt (names, versions) and that PyPI is reachable",
      });
    }
  });
  return python;
}

/** True when a requirements file lists anything besides comments and blank lines. */
export function hasRequirements(text: string): boolean {
  return text.split("\n").some((l) => l.replace(/#.*/, "").trim() !== "");
}

async function purelib(python: string, plugin: string): Promise<string> {
  const r = await execa(python, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { reject: false });
  if (r.exitCode !== 0) {
    throw new PluginStartError("BUILD_FAILED", `cannot ask ${python} for its site-packages: ${r.stderr || r.shortMessage}`, { plugin });
  }
  return r.stdout.trim();
}

const bytecodeChecked = new Set<string>();

/**
 * Makes sure the SDK sources put on PYTHONPATH have up-to-date bytecode.
 * With PYTHONDONTWRITEBYTECODE=1 (set on some machines and CI images) or a read-only
 * checkout, Python never writes `__pycache__`, so every plugin start
 * recompiled the ~45 SDK modules (~30 ms). Checked once per host process
 * (~1 ms); a stale tree is compiled in the background: compileall writes
 * each .pyc atomically, so a plugin importing meanwhile is unaffected, and
 * compileall writes even when PYTHONDONTWRITEBYTECODE is set.
 */
function ensureBytecode(python: string, pkgDir: string, ctx: PrepareContext): void {
  const key = `${python}\0${pkgDir}`;
  if (bytecodeChecked.has(key)) return;
  bytecodeChecked.add(key);
  void (async () => {
    if (!(await bytecodeStale(pkgDir))) return;
    const r = await execa(python, ["-m", "compileall", "-q", pkgDir], { reject: false });
    if (r.exitCode !== 0) ctx.log.debug(`compileall ${pkgDir} failed: ${r.stderr || r.shortMessage}`);
  })().catch((err) => ctx.log.debug(`bytecode check of ${pkgDir} failed: ${(err as Error).message}`));
}

/** True when some .py under `dir` has no `__pycache__/<name>.<tag>.pyc` at least as new as itself. */
export async function bytecodeStale(dir: string): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true });
  const pycs = await readdir(join(dir, "__pycache__")).catch(() => [] as string[]);
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "__pycache__" && (await bytecodeStale(full))) return true;
    } else if (e.isFile() && e.name.endsWith(".py")) {
      const stem = e.name.slice(0, -3);
      const mine = pycs.filter((f) => f.startsWith(`${stem}.`) && f.endsWith(".pyc") && !f.slice(stem.length + 1, -4).includes("."));
      const srcMtime = (await stat(full)).mtimeMs;
      const fresh = await Promise.all(mine.map(async (f) => (await stat(join(dir, "__pycache__", f))).mtimeMs >= srcMtime));
      if (!fresh.includes(true)) return true;
    }
  }
  return false;
}
