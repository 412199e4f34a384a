// One member of a plugin's process pool. It owns the current process and its
// supervision: restart after a crash with exponential backoff and a budget
// (protocol §12), reload on demand (dev mode), and callers waiting for it.
import { HostError, PluginCrashError, hintFor } from "../errors.js";
import type { Logger } from "../logger.js";
import type { ResolvedHostOptions } from "../options.js";
import type { PluginProcess, ProcessExit } from "../process/plugin-process.js";

/** Lifecycle state of a slot. */
export type SlotState = "starting" | "ready" | "restarting" | "failed" | "stopped";

/** What a slot needs from the plugin that owns it. */
export interface SlotOwner {
  readonly name: string;
  readonly options: ResolvedHostOptions;
  readonly log: Logger;
  /** Starts a fresh process with the plugin's current launch spec. */
  startProcess(): Promise<PluginProcess>;
  /** Runs before a new process serves calls (re-opens resources). */
  prepareProcess(slot: PoolSlot, proc: PluginProcess): Promise<void>;
  /** Lifecycle notifications (the plugin re-emits them as events). */
  notify(event: "ready" | "crash" | "restarting" | "unavailable", detail: Record<string, unknown>): void;
}

interface Waiter {
  resolve(proc: PluginProcess): void;
  reject(err: HostError): void;
}

/** A pool member. `acquire()` gives its process once it is ready. */
export class PoolSlot {
  state: SlotState = "starting";
  /** The current process (also while it is being stopped for a reload). */
  process?: PluginProcess;
  /** Why the slot is failed, when it is. */
  lastError?: HostError;
  private waiters: Waiter[] = [];
  private restartTimes: number[] = [];
  private restartTimer?: NodeJS.Timeout;

  constructor(readonly index: number, private readonly owner: SlotOwner) {}

  /** First start. Throws the start error (the plugin fails to load). */
  async start(): Promise<void> {
    const proc = await this.owner.startProcess();
    try {
      await this.owner.prepareProcess(this, proc);
    } catch (err) {
      await proc.stop();
      throw err;
    }
    this.becomeReady(proc);
  }

  /**
   * Calls assigned to this slot and not finished yet (for least-loaded
   * selection). Counted from the moment a call picks the slot, so a burst of
   * calls spreads even before any of them reaches the process.
   */
  load = 0;

  /** Resolves with the ready process; waits while starting/restarting; rejects when failed or stopped. */
  acquire(): Promise<PluginProcess> {
    if (this.state === "ready" && this.process) return Promise.resolve(this.process);
    if (this.state === "failed" || this.state === "stopped") return Promise.reject(this.unavailableError());
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Replaces the process with a fresh one (dev mode): new calls wait, calls on
   * the old process may finish within the shutdown grace. Rejects with the start error.
   */
  async reload(): Promise<void> {
    if (this.state === "stopped") return;
    clearTimeout(this.restartTimer);
    this.state = "restarting";
    this.restartTimes = [];
    const old = this.process;
    if (old) await old.stop();
    try {
      const proc = await this.owner.startProcess();
      await this.owner.prepareProcess(this, proc);
      if (this.isStopped()) {
        await proc.stop();
        return;
      }
      this.becomeReady(proc);
    } catch (err) {
      this.fail(err as HostError);
      throw err;
    }
  }

  /** Stops the process for good; waiting callers get PLUGIN_UNAVAILABLE. */
  async stop(): Promise<void> {
    this.state = "stopped";
    clearTimeout(this.restartTimer);
    this.rejectWaiters(this.unavailableError());
    await this.process?.stop();
  }

  /** Re-reads the state after an await (it may have changed meanwhile). */
  private isStopped(): boolean {
    return this.state === "stopped";
  }

  private becomeReady(proc: PluginProcess): void {
    this.process = proc;
    this.state = "ready";
    this.lastError = undefined;
    proc.onExit((exit) => this.handleExit(proc, exit));
    this.owner.notify("ready", { slot: this.index, pid: proc.pid });
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve(proc);
  }

  private handleExit(proc: PluginProcess, exit: ProcessExit): void {
    if (exit.expected || proc !== this.process || this.state === "stopped") return;
    this.owner.notify("crash", { slot: this.index, pid: proc.pid, error: exit.error });
    this.scheduleRestart(exit.error);
  }

  private scheduleRestart(cause?: HostError): void {
    if (this.state === "stopped") return;
    const { maxRestarts, restartWindowMs, restartInitialDelayMs, restartMaxDelayMs } = this.owner.options;
    const now = Date.now();
    this.restartTimes = this.restartTimes.filter((t) => now - t < restartWindowMs);
    if (this.restartTimes.length >= maxRestarts) {
      this.fail(new PluginCrashError(
        "PLUGIN_UNAVAILABLE",
        `plugin ${this.owner.name} was restarted ${maxRestarts} times within ${restartWindowMs / 1000} s and keeps failing; giving up` +
          (cause ? `. Last failure: ${cause.message}` : ""),
        { plugin: this.owner.name, hint: hintFor("PLUGIN_UNAVAILABLE"), cause },
      ));
      return;
    }
    const delay = Math.min(restartInitialDelayMs * 2 ** this.restartTimes.length, restartMaxDelayMs);
    this.restartTimes.push(now);
    this.state = "restarting";
    this.owner.notify("restarting", { slot: this.index, delayMs: delay, attempt: this.restartTimes.length });
    this.owner.log.warn(`restarting plugin in ${delay} ms (attempt ${this.restartTimes.length} of ${maxRestarts})`, { slot: this.index });
    this.restartTimer = setTimeout(() => void this.restartNow(), delay);
  }

  private async restartNow(): Promise<void> {
    if (this.state === "stopped") return;
    let proc: PluginProcess | undefined;
    try {
      proc = await this.owner.startProcess();
      await this.owner.prepareProcess(this, proc);
    } catch (err) {
      await proc?.stop();
      this.owner.log.error(`restart failed: ${(err as Error).message}`, { slot: this.index });
      this.scheduleRestart(err as HostError);
      return;
    }
    if (this.isStopped()) {
      await proc.stop();
      return;
    }
    this.becomeReady(proc);
  }

  private fail(err: HostError): void {
    this.state = "failed";
    this.lastError = err;
    this.owner.notify("unavailable", { slot: this.index, error: err });
    this.rejectWaiters(this.unavailableError());
  }

  private rejectWaiters(err: HostError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(err);
  }

  private unavailableError(): HostError {
    if (this.state === "failed" && this.lastError) {
      return this.lastError.code === "PLUGIN_UNAVAILABLE"
        ? this.lastError
        : new PluginCrashError("PLUGIN_UNAVAILABLE", `plugin ${this.owner.name} is not running: ${this.lastError.message}`, {
          plugin: this.owner.name, hint: hintFor("PLUGIN_UNAVAILABLE"), cause: this.lastError,
        });
    }
    return new PluginCrashError("PLUGIN_UNAVAILABLE", `plugin ${this.owner.name} is stopped`, {
      plugin: this.owner.name, hint: "load the plugin again",
    });
  }
}
