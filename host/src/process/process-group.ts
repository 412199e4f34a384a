// Signals and liveness of a plugin's whole process group (protocol §11): the
// plugin is started as a group leader, so its children die with it.
import { readdirSync, readFileSync } from "node:fs";

/**
 * Pids of the live (non-zombie) processes in group `pgid`. Zombies are left
 * out because an orphaned child may never be reaped when PID 1 does not reap
 * (containers), yet it is already dead. Uses /proc; elsewhere falls back to
 * kill(-pgid, 0) and returns [pgid] when the group exists.
 */
export function liveGroupMembers(pgid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return groupExists(pgid) ? [pgid] : [];
  }
  const members: number[] = [];
  for (const name of entries) {
    if (!/^[0-9]+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // Format: pid (comm) state ppid pgrp ...; comm may hold spaces and parens.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const state = rest[0];
    const pgrp = Number(rest[2]);
    if (pgrp === pgid && state !== "Z" && state !== "X") members.push(Number(name));
  }
  return members;
}

/** True when any process of group `pgid` exists (zombies included). */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Sends `signal` to every process of group `pgid`; ignores a group that is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nothing left to signal
  }
}

/** Resolves true once group `pgid` has no live member, false if `timeoutMs` passes first. */
export async function waitGroupGone(pgid: number, timeoutMs: number, pollMs = 25): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (liveGroupMembers(pgid).length === 0) return true;
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Makes sure nothing of group `pgid` survives: SIGTERM, wait up to `graceMs`,
 * then SIGKILL. Used after the leader exited (leftover children) and as the
 * last steps of a graceful stop.
 */
export async function terminateGroup(pgid: number, graceMs: number): Promise<void> {
  if (liveGroupMembers(pgid).length === 0) return;
  signalGroup(pgid, "SIGTERM");
  if (await waitGroupGone(pgid, graceMs)) return;
  signalGroup(pgid, "SIGKILL");
  await waitGroupGone(pgid, 2_000);
}
