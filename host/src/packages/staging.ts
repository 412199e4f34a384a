// Temporary folders where installs are prepared before being renamed into
// place. They sit inside the plugins folder (same filesystem, so the final
// rename is atomic) and are named after the owning pid, so the next install
// can sweep the ones left by a process that was killed.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { processAlive } from "./file-lock.js";
import { pluginsDir } from "./options.js";

const active = new Set<string>();

/** `<plugins>/.staging`. */
export function stagingRoot(): string {
  return join(pluginsDir(), ".staging");
}

/** Makes a fresh staging folder owned by this process. */
export async function createStagingDir(): Promise<string> {
  const dir = join(stagingRoot(), `${process.pid}-${randomBytes(6).toString("hex")}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  active.add(dir);
  return dir;
}

/** Deletes a staging folder. */
export async function removeStagingDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  active.delete(dir);
}

/** Deletes staging folders whose owning process is gone. */
export async function sweepStaleStaging(): Promise<void> {
  let names: string[];
  try {
    names = await readdir(stagingRoot());
  } catch {
    return;
  }
  await Promise.all(
    names.map(async (name) => {
      const pid = Number(name.split("-")[0]);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid)) {
        await rm(join(stagingRoot(), name), { recursive: true, force: true });
      }
    }),
  );
}

/** Synchronously deletes this process's staging folders (for signal handlers, where async work may not finish). */
export function removeActiveStagingSync(): void {
  for (const dir of active) rmSync(dir, { recursive: true, force: true });
  active.clear();
}
