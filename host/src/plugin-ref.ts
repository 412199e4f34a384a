// The one place plugin arguments are resolved: a folder as is, anything else
// through the installed-plugin lookup of the package manager.
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { resolveInstalledPlugin } from "./packages/resolve.js";

/**
 * Returns the plugin folder for `ref`: an existing folder is used as is;
 * otherwise `resolveInstalledPlugin(ref)` looks it up among installed plugins
 * (and throws a HostError when it is not there).
 */
export async function resolvePluginRef(ref: string): Promise<string> {
  const abs = resolve(ref);
  try {
    if ((await stat(abs)).isDirectory()) return abs;
  } catch {
    // not a path: try the installed plugins
  }
  return resolveInstalledPlugin(ref);
}
