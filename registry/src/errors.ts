/**
 * Every error the registry service can answer with. The `code` is a stable
 * string from the ErrorCode table in proto/heddle/plugin/v1/errors.proto (shared
 * with the `heddle-host` package client); the HTTP status follows
 * from the code so routes never pick statuses by hand.
 */
export const REGISTRY_ERROR_STATUS = {
  USAGE: 400,
  REGISTRY_BAD_REQUEST: 400,
  MANIFEST_INVALID: 422,
  UNSAFE_ARCHIVE: 422,
  INTEGRITY_MISMATCH: 422,
  SIGNATURE_INVALID: 422,
  REGISTRY_UNAUTHORIZED: 401,
  REGISTRY_FORBIDDEN: 403,
  SIGNATURE_UNKNOWN_KEY: 403,
  ROUTE_NOT_FOUND: 404,
  PACKAGE_NOT_FOUND: 404,
  VERSION_NOT_FOUND: 404,
  BLOB_NOT_FOUND: 404,
  NAMESPACE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  VERSION_EXISTS: 409,
  PACKAGE_TOO_LARGE: 413,
  INTERNAL: 500,
} as const;

/** A stable registry error code (see {@link REGISTRY_ERROR_STATUS}). */
export type RegistryErrorCode = keyof typeof REGISTRY_ERROR_STATUS;

/**
 * An error meant for the user: a stable code, a message saying what was wrong,
 * and a hint saying what to do about it. Routes throw it; the server turns it
 * into `{ "error": { code, message, hint } }` with the code's HTTP status.
 */
export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly hint?: string;

  constructor(code: RegistryErrorCode, message: string, hint?: string) {
    super(message);
    this.name = "RegistryError";
    this.code = code;
    this.hint = hint;
  }

  /** The HTTP status this error is answered with. */
  get status(): number {
    return REGISTRY_ERROR_STATUS[this.code];
  }
}

/** True when `err` is a {@link RegistryError}. */
export function isRegistryError(err: unknown): err is RegistryError {
  return err instanceof RegistryError;
}
