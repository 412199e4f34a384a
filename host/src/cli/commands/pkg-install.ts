// install, update, remove: put plugins into $HEDDLE_HOME and keep heddle.lock in step.
import { rename } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { readClientConfig, registriesToUse, normalizeRegistryUrl, type RegistryEntry } from "../../packages/client-config.js";
import { PackageError } from "../../packages/errors.js";
// loaded on first use: the installer pulls in undici, tar and execa, which other commands do not need
import type { InstallRequest, InstallOptions, InstallResult } from "../../packages/installer.js";
import { listInstalled } from "../../packages/installed.js";
import { lockFilePath, readLockFile, updateLockFile, type LockEntry } from "../../packages/lockfile.js";
import { parsePackageSpec } from "../../packages/spec.js";
import { createStagingDir, removeStagingDir } from "../../packages/staging.js";
import { note, out, runPackageCommand } from "./pkg-run.js";

interface InstallFlags {
  registry?: string;
  token?: string;
  quiet?: boolean;
  save: boolean;
}

/** Adds `install`, `update` and `remove`. */
export function registerInstallCommands(program: Command): void {
  program
    .command("install [packages...]")
    .description("install plugins (namespace/name[@range]) and pin them in heddle.lock; with no argument, restore exactly what heddle.lock pins")
    .option("--registry <url>", "use only this registry")
    .option("--token <token>", "API token (for registries that require one to read)")
    .option("--quiet", "no progress output")
    .option("--no-save", "do not write heddle.lock")
    .action((packages: string[], flags: InstallFlags) => runPackageCommand(() => (packages.length === 0 ? restoreFromLock(flags) : installSpecs(packages, flags))));

  program
    .command("update [packages...]")
    .description("re-resolve pinned plugins (all, or the named ones) to the newest version their range allows, and update heddle.lock")
    .option("--registry <url>", "use only this registry")
    .option("--token <token>", "API token")
    .option("--quiet", "no progress output")
    .action((packages: string[], flags: Omit<InstallFlags, "save">) => runPackageCommand(() => update(packages, { ...flags, save: true })));

  program
    .command("remove <packages...>")
    .description("uninstall plugins (every installed version, or name@version) and drop them from heddle.lock")
    .action((packages: string[]) => runPackageCommand(() => remove(packages)));
}

async function installSpecs(specs: string[], flags: InstallFlags): Promise<void> {
  const parsed = specs.map(parsePackageSpec);
  const registries = await registriesToUse(flags.registry, flags.token);
  const lock = await readLockFile();
  for (const spec of parsed) {
    const result = await installPackage({ name: spec.name, range: spec.range, pinned: lock?.plugins[spec.name] }, { registries, quiet: flags.quiet });
    report(result);
    if (flags.save) await pin(result.name, result.lockEntry);
  }
}

async function restoreFromLock(flags: InstallFlags): Promise<void> {
  const lock = await readLockFile();
  if (!lock) {
    throw new PackageError("USAGE", `there is no heddle.lock in ${process.cwd()} to restore from`, { hint: "name the plugins to install: heddle-host install acme/security" });
  }
  const names = Object.keys(lock.plugins).sort();
  if (names.length === 0) note("heddle.lock pins no plugins; nothing to install");
  for (const name of names) {
    const pinned = lock.plugins[name]!;
    const registries = flags.registry ? await registriesToUse(flags.registry, flags.token) : [await registryFor(pinned.registry, flags.token)];
    const result = await installPackage({ name, range: pinned.version, pinned }, { registries, quiet: flags.quiet });
    report(result);
  }
}

async function update(names: string[], flags: InstallFlags): Promise<void> {
  const lock = await readLockFile();
  if (!lock || Object.keys(lock.plugins).length === 0) throw new PackageError("USAGE", `there is no heddle.lock with plugins in ${process.cwd()}`, { hint: "install plugins first" });
  const targets = names.length > 0 ? names.map((n) => parsePackageSpec(n).name) : Object.keys(lock.plugins).sort();
  for (const name of targets) {
    const pinned = lock.plugins[name];
    if (!pinned) throw new PackageError("USAGE", `heddle.lock does not pin ${name}`, { hint: `install it: heddle-host install ${name}` });
    const registries = flags.registry ? await registriesToUse(flags.registry, flags.token) : [await registryFor(pinned.registry, flags.token)];
    const result = await installPackage({ name, range: pinned.range }, { registries, quiet: flags.quiet });
    if (result.version !== pinned.version) note(`${name}: ${pinned.version} → ${result.version}`);
    report(result);
    await pin(name, result.lockEntry);
  }
}

async function remove(specs: string[]): Promise<void> {
  for (const text of specs) {
    const spec = parsePackageSpec(text);
    const installed = (await listInstalled(spec.name)).filter((i) => !spec.range || i.version === spec.range);
    const lock = await readLockFile();
    if (installed.length === 0 && !lock?.plugins[spec.name]) {
      throw new PackageError("PLUGIN_NOT_INSTALLED", `${text} is not installed and not in heddle.lock`);
    }
    for (const item of installed) {
      // move out of the way first, so a reader never sees a half-deleted folder
      const staging = await createStagingDir();
      try {
        await rename(item.dir, join(staging, "removed"));
      } finally {
        await removeStagingDir(staging);
      }
      out(`removed ${item.name}@${item.version}`);
    }
    if (lock?.plugins[spec.name] && (!spec.range || lock.plugins[spec.name]!.version === spec.range)) {
      await updateLockFile((l) => {
        delete l.plugins[spec.name];
      });
      note(`${spec.name} dropped from ${lockFilePath()}`);
    }
  }
}

async function installPackage(request: InstallRequest, options: InstallOptions): Promise<InstallResult> {
  return (await import("../../packages/installer.js")).installPackage(request, options);
}

async function pin(name: string, entry: LockEntry): Promise<void> {
  await updateLockFile((lock) => {
    lock.plugins[name] = entry;
  });
}

/** The configured entry (with its token) for a lock file's registry URL, or a bare one. */
async function registryFor(url: string, token?: string): Promise<RegistryEntry> {
  const normalized = normalizeRegistryUrl(url);
  const known = (await readClientConfig()).registries.find((r) => r.url === normalized);
  const chosen = token ?? known?.token;
  return { name: known?.name ?? normalized, url: normalized, ...(chosen ? { token: chosen } : {}) };
}

function report(result: InstallResult): void {
  out(`${result.changed ? "installed" : "already installed"} ${result.name}@${result.version} (${result.platform}) in ${result.dir}`);
}
