// Exclusive lock files (O_EXCL + pid), so two installs of the same package, or
// two writers of one heddle.lock, never interleave. Same technique as
// registry/src/storage/file-lock.ts.
import { mkdir, open, readFile, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PackageError } from "./errors.js";

/**
 * Takes the lock at `lockPath` and returns its release function. A lock whose
 * holder process is gone, or older than `staleMs`, is broken. `onWait` is
 * called once if the lock is busy (to tell the user what we wait for).
 * Throws PackageError INSTALL_LOCKED after `timeoutMs`.
 */
export async function acquireLock(lockPath: string, options: { timeoutMs: number; staleMs: number; onWait?: () => void }): Promise<() => Promise<void>> {
  await mkdir(dirname(lockPath), { recursive: true });
  const deadline = Date.now() + options.timeoutMs;
  let delay = 10;
  let told = false;
  for (;;) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    if (await isStale(lockPath, options.staleMs)) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new PackageError("INSTALL_LOCKED", `another process holds ${lockPath}`, { hint: "wait for the other install to finish; if none is running, delete the lock file" });
    }
    if (!told) {
      options.onWait?.();
      told = true;
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 200);
  }
}

async function isStale(lockPath: string, staleMs: number): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, "utf8"), stat(lockPath)]);
    const pid = Number(text);
    if (text !== "" && Number.isInteger(pid) && pid > 0 && !processAlive(pid)) return true;
    return Date.now() - info.mtimeMs > staleMs;
  } catch {
    return false;
  }
}

/** Whether a process with this pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
