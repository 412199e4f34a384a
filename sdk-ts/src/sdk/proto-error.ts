// Conversion of SDK errors to the proto `Error` message the host receives.
import type { Error as ProtoError } from "../gen/heddle/plugin/v1/errors.js";
import { type ErrorCodeName, errorCodeNumber, toHeddleError } from "../core/errors.js";

/** Where the error arose: the SDK's own request checks, or plugin code. */
export type ErrorPhase = "checks" | "plugin-code";

/**
 * Builds the proto Error for anything thrown while serving a call: HeddleErrors
 * keep their code, other values get `fallbackCode`. `component` fills in the
 * step/resource/command name when the error does not name one. The stack is
 * sent only for errors from plugin code: the SDK's check failures (unknown
 * step, bad config...) say everything in their message.
 */
export function toProtoError(thrown: unknown, fallbackCode: ErrorCodeName, component: string, phase: ErrorPhase): ProtoError {
  const error = toHeddleError(thrown, fallbackCode);
  return {
    code: errorCodeNumber(error.code),
    message: error.message,
    component: error.component ?? component,
    stack: phase === "plugin-code" ? (error.stack ?? "") : "",
    field: error.field ?? "",
  };
}
