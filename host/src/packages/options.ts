// Defaults of the package client in one place, and where things live on disk.
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Archive limits the client enforces before and while unpacking. */
export interface ArchiveLimits {
  /** Largest .tgz accepted for download or pack. */
  maxArchiveBytes: number;
  /** Largest total of unpacked bytes. */
  maxUnpackedBytes: number;
  /** Most entries in one archive. */
  maxEntries: number;
}

/** Default limits; HEDDLE_MAX_ARCHIVE_BYTES / HEDDLE_MAX_UNPACKED_BYTES override them. */
export function archiveLimits(): ArchiveLimits {
  return {
    maxArchiveBytes: envInt("HEDDLE_MAX_ARCHIVE_BYTES") ?? 256 * 1024 * 1024,
    maxUnpackedBytes: envInt("HEDDLE_MAX_UNPACKED_BYTES") ?? 1024 * 1024 * 1024,
    maxEntries: 100_000,
  };
}

/** How long an install waits for another install of the same package to finish. */
export const INSTALL_LOCK_TIMEOUT_MS = 10 * 60_000;

/** A lock whose holder is gone is broken at once; one held this long is considered stale anyway. */
export const INSTALL_LOCK_STALE_MS = 30 * 60_000;

/** Lock file name, in the current folder. */
export const LOCKFILE_NAME = "heddle.lock";

/** Metadata file written into every installed plugin folder. */
export const INSTALL_META_FILE = ".heddle-install.json";

/** `$HEDDLE_HOME`, default `~/.heddle`. */
export function heddleHome(): string {
  return resolve(process.env.HEDDLE_HOME || join(homedir(), ".heddle"));
}

/** Where installed plugins live: `<home>/plugins/<namespace>/<name>/<version>`. */
export function pluginsDir(home = heddleHome()): string {
  return join(home, "plugins");
}

/** The folder of one installed version. */
export function installDir(name: string, version: string, home = heddleHome()): string {
  const [namespace, short] = name.split("/");
  return join(pluginsDir(home), namespace!, short!, version);
}

/** Client config (registries, tokens, pinned registry keys). */
export function configFile(home = heddleHome()): string {
  return join(home, "config.json");
}

/** Publisher signing key used by `publish` unless --key is given. */
export function publisherKeyFile(home = heddleHome()): string {
  return join(home, "keys", "publisher-ed25519.pem");
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (!v) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
