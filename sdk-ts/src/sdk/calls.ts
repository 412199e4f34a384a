// Calls in flight: each Invoke/InvokeStream/RunCommand gets a CallControl with
// an AbortController that Cancel, the deadline, the client going away and
// shutdown all abort. A call stays registered until the plugin's own code
// settles (not merely until the response is sent), so Cancel reports
// `found=true` while step code is still running, and shutdown can wait for it.
import { CancelledError, DeadlineExceededError, type HeddleError } from "../core/errors.js";

/** Why a call was aborted. */
export type AbortCause = "cancelled" | "deadline" | "shutdown";

/** Control block of one running call. */
export class CallControl {
  readonly callId: string;
  /** When the call must be done by, if any. */
  readonly deadline: Date | undefined;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private answered = false;
  private resolveAborted!: (reason: HeddleError) => void;
  /** Settles with the abort reason when the call is aborted; never rejects. */
  readonly aborted: Promise<HeddleError>;

  /** Starts the deadline timer when `deadlineAt` (epoch ms) is finite. */
  constructor(callId: string, deadlineAt: number | undefined, private readonly component: string) {
    this.callId = callId;
    this.aborted = new Promise((resolve) => (this.resolveAborted = resolve));
    if (deadlineAt !== undefined && Number.isFinite(deadlineAt)) {
      this.deadline = new Date(deadlineAt);
      this.timer = setTimeout(() => this.abort("deadline"), Math.max(0, deadlineAt - Date.now()));
    }
  }

  /** The signal handed to plugin code. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Marks the call answered: later aborts are ignored. grpc-js reports every
   * finished call as `cancelled` once its stream closes, which must not abort
   * (and build an error for) a call that is already over.
   */
  markAnswered(): void {
    this.answered = true;
    this.clearTimer();
  }

  /** Aborts the call once (later calls, and calls after markAnswered, are ignored); the signal's reason is the matching HeddleError. */
  abort(cause: AbortCause, detail?: string): void {
    if (this.answered || this.controller.signal.aborted) return;
    const reason = abortReason(cause, this.component, this.deadline, detail);
    this.clearTimer();
    this.controller.abort(reason);
    this.resolveAborted(reason);
  }

  /** Stops the deadline timer (the call is over). */
  clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function abortReason(cause: AbortCause, component: string, deadline: Date | undefined, detail?: string): HeddleError {
  const suffix = detail ? `: ${detail}` : "";
  switch (cause) {
    case "deadline":
      return new DeadlineExceededError(`${component} ran past its deadline${deadline ? ` (${deadline.toISOString()})` : ""}${suffix}`, { component });
    case "shutdown":
      return new CancelledError(`${component} was cancelled because the plugin is shutting down${suffix}`, { component });
    default:
      return new CancelledError(`${component} was cancelled${suffix}`, { component });
  }
}

/** Registry of the calls in flight, by call id. */
export class CallRegistry {
  private readonly byId = new Map<string, Set<CallControl>>();
  private count = 0;
  private idleWaiters: Array<() => void> = [];

  /** Registers a new call. `deadlineAt` is epoch ms (undefined/Infinity: none). */
  begin(callId: string, deadlineAt: number | undefined, component: string): CallControl {
    const control = new CallControl(callId, deadlineAt, component);
    let set = this.byId.get(callId);
    if (!set) this.byId.set(callId, (set = new Set()));
    set.add(control);
    this.count++;
    return control;
  }

  /** Unregisters a call whose code has settled. Safe to call twice. */
  end(control: CallControl): void {
    control.clearTimer();
    const set = this.byId.get(control.callId);
    if (!set?.delete(control)) return;
    if (set.size === 0) this.byId.delete(control.callId);
    this.count--;
    if (this.count === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Aborts every running call with this id; false when none is running. */
  cancel(callId: string, reason?: string): boolean {
    const set = this.byId.get(callId);
    if (!set || set.size === 0) return false;
    for (const control of set) control.abort("cancelled", reason || undefined);
    return true;
  }

  /** Aborts every running call (shutdown past its grace). */
  abortAll(cause: AbortCause): void {
    for (const set of this.byId.values()) for (const control of set) control.abort(cause);
  }

  /** Number of calls whose code is still running. */
  get size(): number {
    return this.count;
  }

  /** Resolves true when no call is running, or false after `timeoutMs` with calls left. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(wake);
    });
  }
}
