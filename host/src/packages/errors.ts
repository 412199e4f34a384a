// Errors of the package client (install, publish, pack, ...). Their codes are
// shared with the registry service (registry/src/errors.ts) and are the stable
// strings the CLI prints as `error[CODE] ...`.
import { HostError, type ErrorCodeName, type HostErrorDetails } from "../errors.js";

/**
 * Codes the package client raises, all from errors.proto's ErrorCode table
 * (registry and package codes are 200+).
 */
export type PackageErrorCode =
  | "USAGE"
  | "MANIFEST_INVALID"
  | "BUILD_FAILED"
  | "REGISTRY_UNREACHABLE"
  | "REGISTRY_ERROR"
  | "REGISTRY_UNAUTHORIZED"
  | "REGISTRY_FORBIDDEN"
  | "REGISTRY_KEY_CHANGED"
  | "PACKAGE_NOT_FOUND"
  | "VERSION_NOT_FOUND"
  | "VERSION_YANKED"
  | "VERSION_EXISTS"
  | "PLATFORM_UNSUPPORTED"
  | "INTEGRITY_MISMATCH"
  | "SIGNATURE_INVALID"
  | "SIGNATURE_UNKNOWN_KEY"
  | "UNSAFE_ARCHIVE"
  | "PACKAGE_TOO_LARGE"
  | "DOWNLOAD_FAILED"
  | "LOCKFILE_INVALID"
  | "INSTALL_LOCKED"
  | "PLUGIN_NOT_INSTALLED";

/**
 * A package-client error: a stable code, a message saying what went wrong,
 * and a hint saying what to do. It is a HostError, so every CLI command and
 * `resolvePluginRef` report it the same way as the host's own errors.
 */
export class PackageError extends HostError {
  /** The code, typed with the package codes (HostError's `code` holds the same string). */
  readonly packageCode: PackageErrorCode;

  constructor(code: PackageErrorCode, message: string, details: HostErrorDetails = {}) {
    super(code satisfies ErrorCodeName, message, details);
    this.packageCode = code;
  }
}

/** True when `err` is a PackageError with one of `codes` (any code when none given). */
export function isPackageError(err: unknown, ...codes: PackageErrorCode[]): err is PackageError {
  return err instanceof PackageError && (codes.length === 0 || codes.includes(err.packageCode));
}
