import { open, readFile, rm, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** How long to wait for a lock, and when a lock left by a dead holder is stale. */
export interface FileLockOptions {
  timeoutMs?: number;
  staleMs?: number;
}

/**
 * Takes an exclusive lock file (`O_EXCL` create, holding our pid) and returns
 * the function that releases it. It exists so that the registry server and
 * the `heddle-registry token` CLI, two processes on one data folder, never
 * interleave a read-modify-write of the same document. A lock whose holder
 * process is gone, or that is older than `staleMs`, is broken.
 * Throws an Error naming the lock file if it cannot be had within `timeoutMs`.
 */
export async function acquireFileLock(lockPath: string, options: FileLockOptions = {}): Promise<() => Promise<void>> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const staleMs = options.staleMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return async () => {
        await rm(lockPath, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    if (await isStale(lockPath, staleMs)) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for the lock ${lockPath}; if no other heddle-registry process is running, delete it`);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
}

async function isStale(lockPath: string, staleMs: number): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, "utf8"), stat(lockPath)]);
    const pid = Number(text);
    if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) return true;
    return Date.now() - info.mtimeMs > staleMs;
  } catch {
    return false; // vanished or half-written: just retry
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
