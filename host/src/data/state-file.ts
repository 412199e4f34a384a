// The inspect snapshot: each live host writes its registry as JSON to
// $HEDDLE_HOME/run/memory-<pid>.json when it changes, at most every
// WRITE_INTERVAL_MS (a write + rename costs ~0.5 ms: once per call would
// double the cost of a call by handle), so `heddle-host inspect memory` in
// another shell can read it.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RegistrySnapshot } from "./registry.js";

/** One host's published state. */
export interface HostMemoryState extends RegistrySnapshot {
  pid: number;
  shmDir: string | null;
  thresholdBytes: number;
  updatedAt: string;
}

/** The folder of the snapshots. */
export function runDir(heddleHome: string): string {
  return join(heddleHome, "run");
}

/** Longest a change waits before the snapshot shows it. */
const WRITE_INTERVAL_MS = 100;

/** Writes the snapshot of one host, at most once per WRITE_INTERVAL_MS. */
export class StateFileWriter {
  private readonly dir: string;
  private readonly path: string;
  private pending = false;
  private closed = false;

  constructor(heddleHome: string, private readonly read: () => HostMemoryState) {
    this.dir = runDir(heddleHome);
    this.path = join(this.dir, `memory-${process.pid}.json`);
  }

  /** Schedules a refresh. */
  touch(): void {
    if (this.pending || this.closed) return;
    this.pending = true;
    // Unref: a pending snapshot must never keep the host process alive.
    setTimeout(() => {
      this.pending = false;
      if (!this.closed) this.writeNow();
    }, WRITE_INTERVAL_MS).unref();
  }

  /** Writes now (temp file + rename, so readers never see half a file). Never throws. */
  writeNow(): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      const tmp = `${this.path}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.read(), null, 2));
      renameSync(tmp, this.path);
    } catch {
      // inspect is best effort: a read-only HEDDLE_HOME must not fail calls
    }
  }

  /** Removes the snapshot (host closed). */
  close(): void {
    this.closed = true;
    rmSync(this.path, { force: true });
  }
}

/** Reads the snapshots of every live host; files of dead hosts are removed. */
export function readHostStates(heddleHome: string): HostMemoryState[] {
  const dir = runDir(heddleHome);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: HostMemoryState[] = [];
  for (const name of names) {
    const m = /^memory-(\d+)\.json$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (!pidAlive(pid)) {
      rmSync(join(dir, name), { force: true });
      continue;
    }
    try {
      out.push(JSON.parse(readFileSync(join(dir, name), "utf8")) as HostMemoryState);
    } catch {
      // being replaced right now: skip it
    }
  }
  return out.sort((a, b) => a.pid - b.pid);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
