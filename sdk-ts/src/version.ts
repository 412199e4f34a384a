// Identity of this SDK as reported in the Handshake RPC. Kept as constants (not
// read from package.json at run time) so a bundled plugin still knows them; a
// unit test checks SDK_VERSION against package.json.

/** npm package name of the SDK, reported as `sdk_name` in the handshake. */
export const SDK_NAME = "@heddle/sdk";

/** Reported as `sdk_language` in the handshake. */
export const SDK_LANGUAGE = "typescript";

/** Version of this SDK; equals the `version` in sdk-ts/package.json. */
export const SDK_VERSION = "0.1.0";

/** Plugin protocol versions this SDK speaks (docs/protocol.md §13), highest first. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1];

/**
 * Capability flags this SDK implements (docs/protocol.md §2.4). `shm` is only
 * announced when HEDDLE_SHM_DIR is a writable folder and @heddle/native loads.
 */
export const SDK_CAPABILITIES: readonly string[] = ["streaming", "cancel", "commands", "shm", "frames"];
