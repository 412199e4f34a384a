// Shared plumbing of every call to a plugin: settle once, deadline, cancel via
// AbortSignal (ControllerService.Cancel AND cancelling the gRPC call), and
// fast failure when the process dies (the process fails tracked calls).
import { Metadata, type ServiceError, type ClientUnaryCall, type ClientReadableStream, type ClientDuplexStream } from "@grpc/grpc-js";
import { HostError, PluginCallError } from "../errors.js";
import type { PluginClients } from "./clients.js";
import type { FrameConnection } from "./frames/connection.js";
import { isConnectionFailure, mapGrpcError, type GrpcErrorContext, type LocalEnd } from "./grpc-errors.js";

/** A call the process fails at once if it dies. */
export interface InflightCall {
  component: string;
  fail(err: HostError): void;
}

/** The process a call runs on, as the call sees it (implemented by PluginProcess). */
export interface CallTarget {
  readonly pluginName: string;
  readonly clients: PluginClients;
  /** The frame-lane connection (protocol §5.5), when both sides negotiated `frames`. */
  readonly frames?: FrameConnection;
  /** Registers a call; returns the function that unregisters it. */
  track(call: InflightCall): () => void;
  /** Explains a broken connection: PLUGIN_CRASHED if the process died, else TRANSPORT. */
  explainFailure(err: ServiceError, ctx: GrpcErrorContext): Promise<HostError>;
}

/** Per-call settings common to Invoke, InvokeStream and RunCommand. */
export interface CallSettings {
  callId: string;
  /** `namespace.step` or `namespace.command`, for messages. */
  component: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Lets the code that started the gRPC call settle the promise. */
export interface CallControl<T> {
  resolve(value: T): void;
  reject(err: HostError): void;
  /** Maps a gRPC error (deadline, cancel, crash, transport) and rejects with it. */
  failGrpc(err: ServiceError): void;
  /** True once the call has settled: stop writing to it. */
  readonly settled: boolean;
}

/** What `start` returns: something the runner can cancel (a gRPC call, or a frame-lane call). */
type AnyCall = ClientUnaryCall | ClientReadableStream<unknown> | ClientDuplexStream<unknown, unknown> | { cancel(): void };

/**
 * Runs one call. `start` begins the gRPC call with the given deadline and
 * returns it so it can be cancelled. Rejects with HostError only.
 */
export function runCall<T>(
  target: CallTarget,
  settings: CallSettings,
  start: (control: CallControl<T>, deadline: Date | undefined) => AnyCall,
): Promise<T> {
  return new Promise<T>((resolvePromise, rejectPromise) => {
    const { signal, timeoutMs } = settings;
    const errCtx = (localEnd?: LocalEnd): GrpcErrorContext => ({
      plugin: target.pluginName, component: settings.component, localEnd, timeoutMs,
    });
    if (signal?.aborted) {
      rejectPromise(new PluginCallError("CANCELLED", `call to ${settings.component} was cancelled before it started`, {
        plugin: target.pluginName, component: settings.component,
      }));
      return;
    }
    const deadline = timeoutMs && timeoutMs > 0 ? new Date(Date.now() + timeoutMs) : undefined;
    // When the deadline passes, the plugin may see the call's cancellation before its
    // own deadline timer and answer CANCELLED: the caller asked for a deadline, not a cancel.
    const deadlineOverCancel = (e: unknown): unknown =>
      e instanceof HostError && e.code === "CANCELLED" && localEnd !== "cancelled" && deadline && Date.now() >= deadline.getTime()
        ? mapGrpcError({ code: 4, details: "deadline exceeded", message: "deadline exceeded" } as ServiceError, errCtx("deadline"))
        : e;
    let settled = false;
    let failing = false;
    let localEnd: LocalEnd;
    let call: AnyCall | undefined;
    let untrack = () => {};
    const onAbort = () => {
      if (settled) return;
      localEnd = "cancelled";
      // Tell the SDK (step code sees ctx.cancelled), then drop the gRPC call itself.
      target.clients.controller.cancel(
        { callId: settings.callId, reason: "cancelled by the caller" },
        new Metadata(),
        { deadline: Date.now() + 1_000 },
        () => undefined,
      );
      call?.cancel();
      finish(() => rejectPromise(mapGrpcError({ code: 1, details: "cancelled", message: "cancelled" } as ServiceError, errCtx("cancelled"))));
    };
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      untrack();
      settle();
    };
    const control: CallControl<T> = {
      resolve: (v) => finish(() => resolvePromise(v)),
      reject: (e) => finish(() => rejectPromise(deadlineOverCancel(e))),
      failGrpc: (err) => {
        if (settled || failing) return;
        failing = true;
        if (!localEnd && isConnectionFailure(err)) {
          void target.explainFailure(err, errCtx()).then((e) => control.reject(e));
        } else {
          control.reject(mapGrpcError(err, errCtx(localEnd)));
        }
      },
      // Also true while a gRPC failure is being explained, so a stream's 'end' that follows its 'error' is ignored.
      get settled() { return settled || failing; },
    };
    untrack = target.track({
      component: settings.component,
      fail: (err) => {
        if (settled) return;
        call?.cancel();
        control.reject(err);
      },
    });
    if (settled) return; // the process was already gone
    signal?.addEventListener("abort", onAbort, { once: true });

    try {
      call = start(control, deadline);
    } catch (err) {
      control.reject(new PluginCallError("INTERNAL", `could not start the call to ${settings.component}: ${(err as Error).message}`, {
        plugin: target.pluginName, component: settings.component, cause: err,
      }));
    }
    // The process may already have failed the call (it died before `call` was set).
    if (settled) call?.cancel();
  });
}
