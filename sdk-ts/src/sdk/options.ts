// Limits, defaults and the options of `plugin.serve()`. The protocol values
// come from docs/protocol.md; each constant names the section it follows.

/** The magic cookie value a host sets in HEDDLE_PLUGIN_COOKIE (§2.1). */
export const HANDSHAKE_COOKIE = "5c0f6a8e1d2b4c7f9a3e0b6d8c1f2a47";

/** Exit status when the cookie is missing or wrong (§2.2). */
export const EXIT_COOKIE_MISMATCH = 3;

/** Exit status when host and plugin share no protocol version (§2.2). */
export const EXIT_PROTOCOL_MISMATCH = 4;

/** Exit status when the plugin could not start serving (socket error, bad definition). */
export const EXIT_START_FAILED = 1;

/**
 * gRPC max send/receive message size. The protocol asks for at least 16 MiB;
 * a unary output may itself be up to 16 MiB, so leave room for the envelope.
 */
export const MAX_GRPC_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Largest inline output of a unary Invoke (§5.1); bigger outputs need InvokeStream. */
export const MAX_UNARY_OUTPUT_BYTES = 16 * 1024 * 1024;

/** Grace for in-flight calls when stdin closes or a signal arrives (§2.2, §11). */
export const DEFAULT_SHUTDOWN_GRACE_MS = 2000;

/** Longest wait for one resource's close hook at shutdown, so a stuck hook cannot block exit. */
export const RESOURCE_CLOSE_TIMEOUT_MS = 1000;

/** Options of `plugin.serve()`. */
export interface ServeOptions {
  /** Environment to read the protocol variables from (default process.env). */
  env?: NodeJS.ProcessEnv;
}
