// Python plugins declare their dependencies; at install time they go into a
// virtual environment inside the plugin folder (`.venv`), which the host's
// python runtime then uses. The venv also sees the host's SDK environment
// (a .pth file), so `heddle` and pyarrow are not installed once per plugin.
import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { sdkPython, sdkPythonSource } from "../runtime/locate.js";
import { PackageError } from "./errors.js";
import type { PackageManifest } from "./package-manifest.js";

/**
 * Creates `<dir>/.venv` and pip-installs the plugin's requirements
 * (`python.requirements` in the manifest and/or `requirements.txt`). Does
 * nothing and returns false when there are none. `log` gets progress lines.
 * Throws PackageError BUILD_FAILED with pip's output when the install fails.
 */
export async function preparePythonEnv(dir: string, manifest: PackageManifest, log: (line: string) => void): Promise<boolean> {
  const requirements = manifest.python?.requirements ?? [];
  const requirementsFile = join(dir, "requirements.txt");
  const hasFile = existsSync(requirementsFile);
  if (manifest.runtime !== "python" || (requirements.length === 0 && !hasFile)) return false;
  const python = sdkPython() ?? "python3";
  const venv = join(dir, ".venv");
  const venvPython = join(venv, "bin", "python");
  log(`${manifest.name}@${manifest.version}: creating a virtual environment for ${requirements.length + (hasFile ? 1 : 0)} requirement source(s)`);
  await run(python, ["-m", "venv", "--without-pip", venv], "creating the virtual environment");
  const sitePackages = await venvSitePackages(venv);
  const sdkSite = (await run(python, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], "locating the SDK environment")).trim();
  const visible = [sdkSite, sdkPythonSource()].filter((p): p is string => Boolean(p));
  await writeFile(join(sitePackages, "_heddle_sdk.pth"), `${visible.join("\n")}\n`);
  const pipArgs = ["-m", "pip", "--python", venvPython, "install", "--disable-pip-version-check", "--no-input", "--quiet", ...requirements, ...(hasFile ? ["-r", requirementsFile] : [])];
  await run(python, pipArgs, "installing the Python requirements");
  return true;
}

async function venvSitePackages(venv: string): Promise<string> {
  const lib = join(venv, "lib");
  const versions = (await readdir(lib)).filter((d) => d.startsWith("python"));
  if (versions.length !== 1) throw new PackageError("BUILD_FAILED", `unexpected virtual environment layout in ${lib}: ${versions.join(", ") || "no python folder"}`);
  return join(lib, versions[0]!, "site-packages");
}

async function run(file: string, args: string[], what: string): Promise<string> {
  const result = await execa(file, args, { reject: false, all: true, env: { PIP_DISABLE_PIP_VERSION_CHECK: "1" } });
  if (result.exitCode !== 0 || result.failed) {
    throw new PackageError("BUILD_FAILED", `${what} failed (${file} ${args.join(" ")}):\n${String(result.all ?? result.message).trim()}`, {
      hint: "check the plugin's Python requirements and that PyPI (or your index) is reachable",
    });
  }
  return String(result.stdout);
}
