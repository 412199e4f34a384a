// What step, handler and command code gets besides its config and input: the
// call's identity, cancellation (an AbortSignal, aborted on Cancel, on the
// deadline, or on shutdown), the deadline itself, a logger and the resource
// instances bound to the call.
import { CancelledError, type HeddleError } from "./errors.js";
import type { Logger } from "./logger.js";

/** Everything the SDK knows about a running call. */
export interface CallInfo {
  /** Host-chosen id of the call (what Cancel names). */
  callId: string;
  /** Aborted when the call is cancelled or its deadline passes; `reason` is a HeddleError. */
  signal: AbortSignal;
  /** When the call must be done by, if the host set a deadline. */
  deadline?: Date;
  /** Logger with `call_id` and the component name bound. */
  logger: Logger;
  /** binding name → resource instance. */
  resources: Record<string, unknown>;
}

/**
 * Base of {@link StepContext} and CommandContext: cancellation, deadline,
 * logger and resources of one call.
 */
export class CallContext {
  /** Host-chosen id of the call. */
  readonly callId: string;
  /**
   * Aborted when the call is cancelled (host Cancel, shutdown) or runs past its
   * deadline. Pass it to APIs that take one (fetch, timers/promises, child_process).
   * Its `reason` is a CancelledError or DeadlineExceededError.
   */
  readonly signal: AbortSignal;
  /** When the call must be done by (undefined: no deadline). */
  readonly deadline: Date | undefined;
  /** Logger writing protocol JSON lines with `call_id` bound. */
  readonly logger: Logger;
  /** Resource instances bound to this call, by binding name. */
  readonly resources: Readonly<Record<string, unknown>>;

  constructor(info: CallInfo) {
    this.callId = info.callId;
    this.signal = info.signal;
    this.deadline = info.deadline;
    this.logger = info.logger;
    this.resources = info.resources;
  }

  /** True once the call was cancelled or ran past its deadline: stop work and return. */
  get cancelled(): boolean {
    return this.signal.aborted;
  }

  /** Milliseconds until the deadline (Infinity when there is none; 0 once past). */
  get remainingMs(): number {
    return this.deadline ? Math.max(0, this.deadline.getTime() - Date.now()) : Infinity;
  }

  /**
   * Throws the cancellation reason (CancelledError or DeadlineExceededError)
   * when the call was cancelled; does nothing otherwise. Call it in loops.
   */
  throwIfCancelled(): void {
    if (this.signal.aborted) throw (this.signal.reason as HeddleError | undefined) ?? new CancelledError();
  }

  /**
   * Waits `ms` milliseconds, or rejects with the cancellation reason as soon as
   * the call is cancelled.
   */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.signal.aborted) {
        reject(this.signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(this.signal.reason);
      };
      const timer = setTimeout(() => {
        this.signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      this.signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/** Context of a step or handler call (`(config, input, ctx) => ...`). */
export class StepContext extends CallContext {
  /** Name of the step or handler being called (without namespace). */
  readonly step: string;

  constructor(info: CallInfo & { step: string }) {
    super(info);
    this.step = info.step;
  }
}
