// Finds things relative to where the host itself is installed: the monorepo's
// SDK virtualenv and the node_modules folder that holds @heddle/sdk.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The folder of the @heddle/host package (the one holding package.json). */
export const HOST_PACKAGE_DIR = fileURLToPath(new URL("../../", import.meta.url));

/** Walks up from `start` and returns the first folder for which `test` holds, or undefined. */
export function findUp(start: string, test: (dir: string) => boolean): string | undefined {
  let dir = start;
  for (;;) {
    if (test(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The python of the host's SDK venv: `$HEDDLE_SDK_PYTHON`, else `<repo>/.venv/bin/python` found walking up. */
export function sdkPython(): string | undefined {
  if (process.env.HEDDLE_SDK_PYTHON) return process.env.HEDDLE_SDK_PYTHON;
  const repo = findUp(HOST_PACKAGE_DIR, (d) => existsSync(join(d, ".venv", "bin", "python")));
  return repo ? join(repo, ".venv", "bin", "python") : undefined;
}

/**
 * The source folder of the Python SDK in a monorepo checkout (`<repo>/sdk-python`),
 * so plugins can import `heddle` even before the SDK is pip-installed into the venv.
 */
export function sdkPythonSource(): string | undefined {
  const repo = findUp(HOST_PACKAGE_DIR, (d) => existsSync(join(d, "sdk-python", "heddle", "__init__.py")));
  return repo ? join(repo, "sdk-python") : undefined;
}

/** The node_modules folder that holds @heddle/sdk as seen from the host, or undefined. */
export function sdkNodeModules(): string | undefined {
  const dir = findUp(HOST_PACKAGE_DIR, (d) => existsSync(join(d, "node_modules", "@heddle", "sdk", "package.json")));
  return dir ? join(dir, "node_modules") : undefined;
}
