// The host's HEDDLE_SHM_DIR (protocol §8.1): /dev/shm/heddle-<pid>-<random>,
// mode 0700, removed with everything in it when the host closes.
import { accessSync, constants, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

/** Where segment folders go: the Linux tmpfs. */
export const SHM_ROOT = "/dev/shm";

/** Creates the folder, or returns undefined (with the reason) when there is no writable tmpfs. */
export function createShmDir(root = SHM_ROOT): { dir?: string; reason?: string } {
  try {
    accessSync(root, constants.W_OK);
    removeStaleShmDirs(root);
    // mkdtemp creates the folder with mode 0700.
    return { dir: mkdtempSync(join(root, `heddle-${process.pid}-`)) };
  } catch (err) {
    return { reason: `cannot create a segment folder under ${root}: ${(err as Error).message}` };
  }
}

/** Removes the folder and every segment left in it. Never throws. */
export function removeShmDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // already gone
  }
}

/**
 * Deletes the folders of hosts that died without closing (SIGKILL, a killed
 * test worker): `heddle-<pid>-*` whose pid no longer runs. A live pid, even a
 * reused one, is left alone. Never throws.
 */
export function removeStaleShmDirs(root = SHM_ROOT): string[] {
  const removed: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(root);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = /^heddle-(\d+)-/.exec(name);
    if (!m || pidRuns(Number(m[1]))) continue;
    removeShmDir(join(root, name));
    removed.push(name);
  }
  return removed;
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
