// Maps gRPC statuses seen by the host to stable error codes (protocol §7).
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { HostError, hintFor, PluginCallError, TransportError } from "../errors.js";

/** Why the host itself ended a call, if it did. */
export type LocalEnd = "cancelled" | "deadline" | undefined;

/** Context for mapping one failed call. */
export interface GrpcErrorContext {
  plugin: string;
  /** The step, command or RPC the call was for. */
  component: string;
  /** Set when the host cancelled the call or its deadline passed. */
  localEnd?: LocalEnd;
  timeoutMs?: number;
}

/** True for statuses that mean the connection broke (the process may have died). */
export function isConnectionFailure(err: ServiceError): boolean {
  return err.code === GrpcStatus.UNAVAILABLE || err.code === GrpcStatus.INTERNAL || err.code === GrpcStatus.UNKNOWN;
}

/** Turns a gRPC error into a HostError with a stable code. */
export function mapGrpcError(err: ServiceError, ctx: GrpcErrorContext): HostError {
  const details = { plugin: ctx.plugin, component: ctx.component, cause: err };
  if (ctx.localEnd === "cancelled" || (ctx.localEnd !== "deadline" && err.code === GrpcStatus.CANCELLED)) {
    return new PluginCallError("CANCELLED", `call to ${ctx.component} was cancelled`, details);
  }
  if (ctx.localEnd === "deadline" || err.code === GrpcStatus.DEADLINE_EXCEEDED) {
    const after = ctx.timeoutMs ? ` after ${ctx.timeoutMs} ms` : "";
    return new PluginCallError("DEADLINE_EXCEEDED", `call to ${ctx.component} ran past its deadline${after}`, {
      ...details, hint: hintFor("DEADLINE_EXCEEDED"),
    });
  }
  if (err.code === GrpcStatus.UNIMPLEMENTED) {
    return new PluginCallError("UNSUPPORTED", `the plugin does not implement ${ctx.component}: ${err.details}`, {
      ...details, hint: "upgrade the plugin's SDK, or do not use this feature with it",
    });
  }
  if (err.code === GrpcStatus.RESOURCE_EXHAUSTED) {
    return new TransportError(`message too large talking to the plugin (${ctx.component}): ${err.details}`, {
      ...details, hint: "call with { stream: true } so tables travel in chunks",
    });
  }
  return new TransportError(`gRPC failure talking to the plugin (${ctx.component}): ${GrpcStatus[err.code] ?? err.code} ${err.details}`, {
    ...details, hint: "check the plugin's log lines above; if it keeps happening, report it",
  });
}
