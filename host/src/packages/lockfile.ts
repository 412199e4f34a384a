// heddle.lock: what `install` resolved, so `install` with no argument restores
// exactly that on any machine. It records every platform's hashes (from the
// registry index, without downloading the other platforms).
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import semver from "semver";
import { writeFileAtomic } from "./atomic-file.js";
import { PackageError } from "./errors.js";
import { acquireLock } from "./file-lock.js";
import { heddleHome, LOCKFILE_NAME } from "./options.js";
import { PACKAGE_NAME } from "./spec.js";

/** Hashes of one platform's archive. */
export interface LockedArtifact {
  integrity: string;
  sha256: string;
  size: number;
}

/** One pinned plugin. */
export interface LockEntry {
  version: string;
  /** What was asked for (`^1.2`, `next`); `update` resolves it again. */
  range?: string;
  /** Registry URL it came from. */
  registry: string;
  /** Key id of the publisher key that signed it. */
  publisherKeyId: string;
  /** Platform → hashes, for every platform the version has. */
  artifacts: Record<string, LockedArtifact>;
}

/** The whole lock file. */
export interface LockFile {
  lockfileVersion: 1;
  plugins: Record<string, LockEntry>;
}

/** Path of the lock file in `dir` (default: the current folder). */
export function lockFilePath(dir = process.cwd()): string {
  return join(resolve(dir), LOCKFILE_NAME);
}

/** Reads the lock file, or null if there is none. Throws PackageError LOCKFILE_INVALID naming the problem. */
export async function readLockFile(path = lockFilePath()): Promise<LockFile | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw invalid(path, `not valid JSON: ${(err as Error).message}`);
  }
  const lock = data as LockFile;
  if (!lock || lock.lockfileVersion !== 1 || typeof lock.plugins !== "object" || lock.plugins === null) {
    throw invalid(path, "expected {\"lockfileVersion\": 1, \"plugins\": {...}}");
  }
  for (const [name, entry] of Object.entries(lock.plugins)) {
    if (!PACKAGE_NAME.test(name)) throw invalid(path, `${JSON.stringify(name)} is not a package name`);
    if (!entry || semver.valid(entry.version) !== entry.version) throw invalid(path, `${name}: "version" must be an exact version`);
    if (typeof entry.registry !== "string" || typeof entry.artifacts !== "object" || entry.artifacts === null) {
      throw invalid(path, `${name}: "registry" and "artifacts" are required`);
    }
  }
  return lock;
}

/**
 * Changes the lock file under a lock (two installs in one folder never lose
 * each other's entries) and writes it atomically, keys sorted so diffs stay small.
 */
export async function updateLockFile(change: (lock: LockFile) => void, path = lockFilePath()): Promise<LockFile> {
  const lockName = createHash("sha256").update(path).digest("hex").slice(0, 16);
  const release = await acquireLock(join(heddleHome(), "locks", `lockfile-${lockName}.lock`), { timeoutMs: 60_000, staleMs: 120_000 });
  try {
    const lock = (await readLockFile(path)) ?? { lockfileVersion: 1, plugins: {} };
    change(lock);
    await writeFileAtomic(path, serializeLockFile(lock));
    return lock;
  } finally {
    await release();
  }
}

/** The lock file's text: sorted plugin names and platforms, fixed key order. */
export function serializeLockFile(lock: LockFile): string {
  const plugins: Record<string, LockEntry> = {};
  for (const name of Object.keys(lock.plugins).sort()) {
    const e = lock.plugins[name]!;
    const artifacts: Record<string, LockedArtifact> = {};
    for (const p of Object.keys(e.artifacts).sort()) {
      const a = e.artifacts[p]!;
      artifacts[p] = { integrity: a.integrity, sha256: a.sha256, size: a.size };
    }
    plugins[name] = { version: e.version, ...(e.range ? { range: e.range } : {}), registry: e.registry, publisherKeyId: e.publisherKeyId, artifacts };
  }
  return `${JSON.stringify({ lockfileVersion: 1, plugins }, null, 2)}\n`;
}

function invalid(path: string, why: string): PackageError {
  return new PackageError("LOCKFILE_INVALID", `${path} is not a valid lock file: ${why}`, {
    hint: "restore it from version control, or delete it and run `heddle-host install <name>` again",
  });
}
