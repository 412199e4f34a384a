// Picks the pool process for a call: the ready one with the fewest calls in
// flight; if none is ready (restarting, reloading), waits for the first that
// becomes ready, within the call's deadline and until its AbortSignal fires.
import { PluginCallError, PluginCrashError, type HostError } from "../errors.js";
import type { PluginProcess } from "../process/plugin-process.js";
import type { PoolSlot } from "./pool-slot.js";

/** The call waiting for a process. */
export interface AcquireRequest {
  plugin: string;
  component: string;
  deadlineAt?: number;
  signal?: AbortSignal;
}

/**
 * Resolves with a ready slot and its process, with `slot.load` already counted
 * for the call: the caller must decrement it when the call ends. Rejects with
 * CANCELLED, DEADLINE_EXCEEDED or PLUGIN_UNAVAILABLE.
 */
export function acquireSlot(slots: PoolSlot[], req: AcquireRequest): Promise<{ slot: PoolSlot; proc: PluginProcess }> {
  if (req.signal?.aborted) return Promise.reject(cancelled(req));
  // Synchronous on purpose: the load is counted before the next call of a burst picks.
  const ready = slots.filter((s) => s.state === "ready" && s.process?.alive && !s.process.isStopping);
  if (ready.length) {
    const slot = ready.reduce((best, s) => (s.load < best.load ? s : best));
    slot.load += 1;
    return Promise.resolve({ slot, proc: slot.process! });
  }
  return waitForSlot(slots, req).then((picked) => {
    picked.slot.load += 1;
    return picked;
  });
}

async function waitForSlot(slots: PoolSlot[], req: AcquireRequest): Promise<{ slot: PoolSlot; proc: PluginProcess }> {
  const pending = slots.filter((s) => s.state === "starting" || s.state === "restarting" || s.state === "ready");
  if (pending.length === 0) {
    const failed = slots.find((s) => s.lastError);
    throw failed?.lastError?.code === "PLUGIN_UNAVAILABLE"
      ? failed.lastError
      : new PluginCrashError("PLUGIN_UNAVAILABLE", `plugin ${req.plugin} is not running${failed?.lastError ? `: ${failed.lastError.message}` : ""}`, {
        plugin: req.plugin, component: req.component, hint: "load the plugin again",
      });
  }
  const cleanups: Array<() => void> = [];
  try {
    const waits: Array<Promise<{ slot: PoolSlot; proc: PluginProcess }>> = pending.map((slot) => slot.acquire().then((proc) => ({ slot, proc })));
    const racers: Array<Promise<{ slot: PoolSlot; proc: PluginProcess }>> = [firstFulfilled(waits)];
    if (req.deadlineAt !== undefined) {
      racers.push(new Promise((_, reject) => {
        const t = setTimeout(() => reject(new PluginCallError("DEADLINE_EXCEEDED",
          `call to ${req.component} ran past its deadline while waiting for plugin ${req.plugin} to (re)start`,
          { plugin: req.plugin, component: req.component })), Math.max(0, req.deadlineAt! - Date.now()));
        cleanups.push(() => clearTimeout(t));
      }));
    }
    if (req.signal) {
      racers.push(new Promise((_, reject) => {
        const onAbort = () => reject(cancelled(req));
        req.signal!.addEventListener("abort", onAbort, { once: true });
        cleanups.push(() => req.signal!.removeEventListener("abort", onAbort));
      }));
    }
    return await Promise.race(racers);
  } finally {
    for (const c of cleanups) c();
  }
}

/** Like Promise.any, but rejects with the first HostError when all fail. */
function firstFulfilled<T>(promises: Array<Promise<T>>): Promise<T> {
  return Promise.any(promises).catch((agg: AggregateError) => {
    throw (agg.errors[0] as HostError);
  });
}

function cancelled(req: AcquireRequest): HostError {
  return new PluginCallError("CANCELLED", `call to ${req.component} was cancelled`, { plugin: req.plugin, component: req.component });
}
