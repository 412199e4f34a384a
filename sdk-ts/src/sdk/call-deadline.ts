// Ties a call's CallControl to its gRPC call: the gRPC deadline, and the
// client cancelling (the host cancels the gRPC call as well as sending Cancel).
import type { Deadline } from "@grpc/grpc-js";
import type { CallControl } from "./calls.js";

/** The gRPC deadline as epoch ms (Infinity when the client set none). */
export function grpcDeadlineAt(deadline: Deadline): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/** Anything that emits `cancelled` when the client goes away or the deadline passes. */
interface CancellableCall {
  on(event: "cancelled", listener: () => void): unknown;
}

/**
 * Aborts the call when gRPC reports it cancelled: as `deadline` when the gRPC
 * deadline has passed, as `cancelled` otherwise.
 */
export function watchClientCancel(call: CancellableCall, control: CallControl, deadlineAt: number): void {
  call.on("cancelled", () => {
    const pastDeadline = Number.isFinite(deadlineAt) && Date.now() >= deadlineAt - 1;
    control.abort(pastDeadline ? "deadline" : "cancelled", pastDeadline ? undefined : "the client cancelled the gRPC call");
  });
}
