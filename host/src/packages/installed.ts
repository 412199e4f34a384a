// What is installed under $HEDDLE_HOME/plugins, read from the metadata file
// each install writes into the plugin folder.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import semver from "semver";
import { heddleHome, INSTALL_META_FILE, pluginsDir } from "./options.js";

/** Written into every installed plugin folder. */
export interface InstallMeta {
  name: string;
  version: string;
  platform: string;
  registry: string;
  integrity: string;
  sha256: string;
  publisherKeyId: string;
  installedAt: string;
}

/** One installed version. */
export interface InstalledVersion {
  name: string;
  version: string;
  dir: string;
  meta: InstallMeta;
}

/** The install metadata of a plugin folder, or null if it has none (not installed by us, or unreadable). */
export async function readInstallMeta(dir: string): Promise<InstallMeta | null> {
  try {
    return JSON.parse(await readFile(join(dir, INSTALL_META_FILE), "utf8")) as InstallMeta;
  } catch {
    return null;
  }
}

/** Every installed version, sorted by name then version; optionally only those of `name`. */
export async function listInstalled(name?: string, home = heddleHome()): Promise<InstalledVersion[]> {
  const root = pluginsDir(home);
  const found: InstalledVersion[] = [];
  const namespaces = name ? [name.split("/")[0]!] : await dirs(root);
  for (const ns of namespaces) {
    const packages = name ? [name.split("/")[1]!] : await dirs(join(root, ns));
    for (const pkg of packages) {
      for (const version of await dirs(join(root, ns, pkg))) {
        if (!semver.valid(version)) continue;
        const dir = join(root, ns, pkg, version);
        const meta = await readInstallMeta(dir);
        if (meta) found.push({ name: `${ns}/${pkg}`, version, dir, meta });
      }
    }
  }
  return found.sort((a, b) => (a.name !== b.name ? (a.name < b.name ? -1 : 1) : semver.compare(a.version, b.version)));
}

async function dirs(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith(".")).map((d) => d.name).sort();
  } catch {
    return [];
  }
}
