// The one stdout line a plugin prints when it is ready (protocol §2.2 step 4):
//   HEDDLE|1|<protocol version>|unix|<socket path>|grpc
import { PluginStartError } from "../errors.js";

/** A parsed handshake line. */
export interface HandshakeLine {
  protocolVersion: number;
  network: "unix";
  address: string;
  wire: "grpc";
}

/** What a stdout line before the handshake turned out to be. */
export type StdoutLineKind = { kind: "stray" } | ({ kind: "handshake" } & HandshakeLine);

const PREFIX = "HEDDLE|";

/**
 * Classifies one stdout line. Lines not starting with `HEDDLE|` are stray
 * output (logged and skipped). A `HEDDLE|` line that breaks the format fails
 * with HANDSHAKE_FAILED; a version the host did not offer with PROTOCOL_MISMATCH.
 */
export function parseHandshakeLine(line: string, offeredVersions: readonly number[], plugin?: string): StdoutLineKind {
  const text = line.replace(/\r$/, "");
  if (!text.startsWith(PREFIX)) return { kind: "stray" };
  const fail = (why: string): never => {
    throw new PluginStartError("HANDSHAKE_FAILED", `malformed handshake line ${JSON.stringify(text)}: ${why}`, {
      plugin,
      hint: "the plugin must print exactly HEDDLE|1|<version>|unix|<socket path>|grpc (protocol §2.2); upgrade its SDK",
    });
  };
  const fields = text.split("|");
  if (fields.length !== 6) fail(`expected 6 fields separated by '|', got ${fields.length}`);
  const [, format, version, network, address, wire] = fields as [string, string, string, string, string, string];
  if (format !== "1") fail(`handshake line format must be 1, got ${JSON.stringify(format)}`);
  if (!/^[1-9][0-9]*$/.test(version)) fail(`protocol version must be a positive integer, got ${JSON.stringify(version)}`);
  if (network !== "unix") fail(`network must be "unix", got ${JSON.stringify(network)}`);
  if (!address.startsWith("/")) fail(`address must be an absolute socket path, got ${JSON.stringify(address)}`);
  if (wire !== "grpc") fail(`wire protocol must be "grpc", got ${JSON.stringify(wire)}`);
  const protocolVersion = Number(version);
  if (!offeredVersions.includes(protocolVersion)) {
    throw new PluginStartError(
      "PROTOCOL_MISMATCH",
      `plugin ${plugin ?? ""} picked protocol version ${protocolVersion}, but the host offered only ${offeredVersions.join(", ")}`.replace("plugin  ", "the plugin "),
      { plugin, hint: "upgrade the plugin's SDK or the host so they share a protocol version" },
    );
  }
  return { kind: "handshake", protocolVersion, network: "unix", address, wire: "grpc" };
}
