// The host's own name and version (from package.json), sent in the Handshake RPC.
import { createRequire } from "node:module";

const pkg = createRequire(import.meta.url)("../package.json") as { version: string };

/** Name the host gives itself in HandshakeRequest. */
export const HOST_NAME = "heddle-host";
/** Version of @heddle/host. */
export const HOST_VERSION: string = pkg.version;
