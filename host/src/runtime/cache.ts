// The build cache under `<heddleHome>/cache`: content-hash keys and atomic
// publishing, so a second start reuses a build and two hosts building the
// same plugin at once never see a half-written entry.
import { createHash, randomBytes } from "node:crypto";
import { access, mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { join, relative, sep } from "node:path";

/** Folders never hashed or watched: dependencies, virtualenvs, build output, VCS. */
export const IGNORED_DIRS = new Set(["node_modules", ".venv", "target", ".git", "__pycache__", ".pytest_cache", "dist"]);

/** SHA-256 of the given strings/buffers, hex, first 24 characters (enough to key a cache). */
export function hashParts(...parts: Array<string | Uint8Array>): string {
  const h = createHash("sha256");
  for (const p of parts) {
    h.update(p);
    h.update("\0");
  }
  return h.digest("hex").slice(0, 24);
}

/**
 * Hashes every file under `root` (skipping IGNORED_DIRS) whose relative path
 * `accept` keeps, together with that path, in a stable order.
 */
async function hashTree(root: string, accept: (relPath: string) => boolean): Promise<string> {
  const files = (await listFiles(root)).filter((f) => accept(relative(root, f).split(sep).join("/"))).sort();
  // Read concurrently: one file after the other, an SDK's ~80 sources took
  // 13–30 ms of every start (each read waits its turn on the thread pool).
  const contents = await Promise.all(files.map((f) => readFile(f)));
  return hashParts(...files.flatMap((f, i) => [relative(root, f), contents[i]]));
}

/**
 * The cache key of a package: `tags`, then the hash of `dir` and of each
 * local dependency folder (with its path), all trees hashed concurrently.
 */
export async function hashPackage(tags: string[], dir: string, deps: string[], accept: (relPath: string) => boolean): Promise<string> {
  const [own, ...others] = await Promise.all([dir, ...deps].map((d) => hashTree(d, accept)));
  return hashParts(...tags, own, ...deps.flatMap((d, i) => [d, others[i]]));
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map(async (entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return IGNORED_DIRS.has(entry.name) ? [] : listFiles(full);
    return entry.isFile() ? [full] : [];
  }));
  return nested.flat();
}

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** A fresh staging folder next to `finalDir`, to build into before `publishDir`. */
export async function stagingDirFor(finalDir: string): Promise<string> {
  const staging = `${finalDir}.partial-${process.pid}-${randomBytes(4).toString("hex")}`;
  await mkdir(staging, { recursive: true });
  return staging;
}

/** Runs `build` into a fresh staging folder for `finalDir` and publishes it; the staging folder never outlives a failure. */
export async function buildInto(finalDir: string, build: (staging: string) => Promise<void>): Promise<void> {
  const staging = await stagingDirFor(finalDir);
  try {
    await build(staging);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  await publishDir(staging, finalDir);
}

/** Moves a finished staging folder into place; if another process won the race, keeps theirs. */
export async function publishDir(staging: string, finalDir: string): Promise<void> {
  try {
    await rename(staging, finalDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
    await rm(staging, { recursive: true, force: true });
  }
}
