// Typed errors of the SDK. Every error a plugin author or a host user can meet
// carries a stable `code`: the proto ErrorCode name without its ERROR_CODE_
// prefix (proto/heddle/plugin/v1/errors.proto). Step code throws these to pick
// the code the host reports; anything else thrown becomes STEP_FAILED.
import { ErrorCode } from "../gen/heddle/plugin/v1/errors.js";

type StripPrefix<T> = T extends `ERROR_CODE_${infer Name}` ? Name : never;

/** Every stable error code name, e.g. `"INVALID_CONFIG"` (see errors.proto). */
export type ErrorCodeName = StripPrefix<Exclude<keyof typeof ErrorCode, "ERROR_CODE_UNSPECIFIED">>;

/** Returns the proto enum number of a code name, e.g. `INVALID_CONFIG` → 1. */
export function errorCodeNumber(name: ErrorCodeName): ErrorCode {
  return ErrorCode[`ERROR_CODE_${name}` as keyof typeof ErrorCode];
}

/** True when `name` is one of the stable code names. */
export function isErrorCodeName(name: unknown): name is ErrorCodeName {
  return typeof name === "string" && name !== "UNSPECIFIED" && `ERROR_CODE_${name}` in ErrorCode;
}

/** Extra details of a {@link HeddleError}. */
export interface HeddleErrorOptions {
  /** JSON pointer of the offending config field (for INVALID_CONFIG). */
  field?: string;
  /** The step, resource or command the error belongs to. */
  component?: string;
  /** The underlying error, kept for its stack. */
  cause?: unknown;
}

/**
 * An error with a stable code. Throw it from step, resource or command code to
 * choose the code the host reports, e.g.
 * `throw new HeddleError("INVALID_INPUT", "column 'id' is missing")`.
 * The constructor throws a TypeError when `code` is not a known code name.
 */
export class HeddleError extends Error {
  /** Stable code name, e.g. `INVALID_CONFIG`. */
  readonly code: ErrorCodeName;
  /** JSON pointer of the offending config field, when there is one. */
  readonly field?: string;
  /** The step, resource or command the error belongs to, when known. */
  component?: string;

  constructor(code: ErrorCodeName, message: string, options: HeddleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (!isErrorCodeName(code)) {
      throw new TypeError(`unknown Heddle error code "${String(code)}": use a name from ErrorCode in errors.proto`);
    }
    this.name = new.target.name;
    this.code = code;
    if (options.field !== undefined) this.field = options.field;
    if (options.component !== undefined) this.component = options.component;
  }
}

/** A config (step, resource or command context) failed its schema. `field` is a JSON pointer. */
export class InvalidConfigError extends HeddleError {
  constructor(message: string, field: string, options: Omit<HeddleErrorOptions, "field"> = {}) {
    super("INVALID_CONFIG", message, { ...options, field });
  }
}

/** The input table is missing, unreadable or of the wrong shape. */
export class InvalidInputError extends HeddleError {
  constructor(message: string, options: HeddleErrorOptions = {}) {
    super("INVALID_INPUT", message, options);
  }
}

/** A step or command returned something that is not a table (or too big for a unary call). */
export class InvalidOutputError extends HeddleError {
  constructor(message: string, options: HeddleErrorOptions = {}) {
    super("INVALID_OUTPUT", message, options);
  }
}

/** The call was cancelled by the host or the user (`ctx.throwIfCancelled()` throws it). */
export class CancelledError extends HeddleError {
  constructor(message = "the call was cancelled", options: HeddleErrorOptions = {}) {
    super("CANCELLED", message, options);
  }
}

/** The call ran past its deadline (`ctx.throwIfCancelled()` throws it after the deadline). */
export class DeadlineExceededError extends HeddleError {
  constructor(message = "the call ran past its deadline", options: HeddleErrorOptions = {}) {
    super("DEADLINE_EXCEEDED", message, options);
  }
}

/** A resource constructor failed; wraps what it threw. */
export class ResourceInitError extends HeddleError {
  constructor(message: string, options: HeddleErrorOptions = {}) {
    super("RESOURCE_INIT_FAILED", message, options);
  }
}

/** The plugin was defined wrongly (duplicate names, non-object config schema...). Thrown at registration. */
export class PluginDefinitionError extends HeddleError {
  constructor(message: string, options: HeddleErrorOptions = {}) {
    super("MANIFEST_INVALID", `plugin definition error: ${message}`, options);
  }
}

/** The plugin does not implement what was asked. */
export class UnsupportedError extends HeddleError {
  constructor(message: string, options: HeddleErrorOptions = {}) {
    super("UNSUPPORTED", message, options);
  }
}

/** A shared-memory segment is truncated, misaligned or not Arrow IPC file bytes (protocol §8.3). */
export class SegmentInvalidError extends HeddleError {
  constructor(message: string, options: HeddleErrorOptions = {}) {
    super("SEGMENT_INVALID", message, options);
  }
}

/** A shared-memory handle names a file that does not exist (freed, or never created). */
export class SegmentNotFoundError extends HeddleError {
  constructor(message: string, options: HeddleErrorOptions = {}) {
    super("SEGMENT_NOT_FOUND", message, options);
  }
}

/** Shared memory cannot be created or mapped in this process (no addon, folder full or not writable). */
export class ShmUnavailableError extends HeddleError {
  constructor(message: string, options: HeddleErrorOptions = {}) {
    super("SHM_UNAVAILABLE", message, options);
  }
}

/**
 * Normalises anything thrown by user code into a HeddleError: HeddleErrors are
 * kept, everything else gets `fallbackCode` with its message and stack.
 */
export function toHeddleError(thrown: unknown, fallbackCode: ErrorCodeName): HeddleError {
  if (thrown instanceof HeddleError) return thrown;
  if (thrown instanceof Error) {
    const wrapped = new HeddleError(fallbackCode, thrown.message || thrown.name, { cause: thrown });
    wrapped.stack = thrown.stack ?? wrapped.stack;
    return wrapped;
  }
  // Something that is not an Error was thrown (a string, an object): keep its text.
  const text = typeof thrown === "string" ? thrown : safeDescribe(thrown);
  return new HeddleError(fallbackCode, `non-Error value thrown: ${text}`);
}

function safeDescribe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
