// The Handshake and Describe RPCs that finish a plugin's start (protocol §2.3 steps 4-5).
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import type { HandshakeResponse } from "@heddle/sdk/gen/heddle/plugin/v1/handshake";
import type { DescribeResponse, Manifest } from "@heddle/sdk/gen/heddle/plugin/v1/manifest";
import { PluginStartError } from "../errors.js";
import { HOST_CAPABILITIES, HOST_PROTOCOL_VERSIONS } from "../options.js";
import { unary, type PluginClients } from "./clients.js";

/** What the plugin said about itself in the Handshake RPC. */
export interface HandshakeInfo {
  protocolVersion: number;
  sdkName: string;
  sdkLanguage: string;
  sdkVersion: string;
  /** Capability flags in effect (both sides listed them). */
  capabilities: string[];
  pid: number;
}

/** The host's own name and version, sent in HandshakeRequest. */
export interface HostIdentity {
  name: string;
  version: string;
}

/**
 * Calls Handshake offering `offered` capability flags (default: all the host
 * supports) and checks the answer against the handshake line's version.
 * Fails with PROTOCOL_MISMATCH (FAILED_PRECONDITION) or HANDSHAKE_FAILED.
 */
export async function rpcHandshake(
  clients: PluginClients, plugin: string, lineVersion: number, host: HostIdentity, timeoutMs: number,
  offered: readonly string[] = HOST_CAPABILITIES,
): Promise<HandshakeInfo> {
  let res: HandshakeResponse;
  try {
    res = await unary(clients.plugin.handshake, clients.plugin, {
      protocolVersions: [...HOST_PROTOCOL_VERSIONS],
      hostName: host.name,
      hostVersion: host.version,
      capabilities: [...offered],
    }, timeoutMs);
  } catch (err) {
    const e = err as ServiceError;
    if (e.code === GrpcStatus.FAILED_PRECONDITION) {
      throw new PluginStartError("PROTOCOL_MISMATCH", `plugin ${plugin} refused the handshake: ${e.details}`, {
        plugin, cause: err, hint: "upgrade the plugin's SDK or the host so they share a protocol version",
      });
    }
    throw new PluginStartError("HANDSHAKE_FAILED", `Handshake RPC to plugin ${plugin} failed: ${e.details ?? e.message}`, {
      plugin, cause: err, hint: "the plugin printed its handshake line but does not serve PluginService on the socket; check its SDK",
    });
  }
  if (res.protocolVersion !== lineVersion) {
    throw new PluginStartError(
      "HANDSHAKE_FAILED",
      `plugin ${plugin} announced protocol ${lineVersion} on stdout but ${res.protocolVersion} in the Handshake RPC`,
      { plugin, hint: "this is a bug in the plugin's SDK: both must be the same version" },
    );
  }
  return {
    protocolVersion: res.protocolVersion,
    sdkName: res.sdkName,
    sdkLanguage: res.sdkLanguage,
    sdkVersion: res.sdkVersion,
    capabilities: res.capabilities.filter((c) => offered.includes(c)),
    pid: res.pid,
  };
}

/** Calls Describe. Fails with HANDSHAKE_FAILED when the plugin cannot describe itself. */
export async function rpcDescribe(clients: PluginClients, plugin: string, timeoutMs: number): Promise<Manifest> {
  let res: DescribeResponse;
  try {
    res = await unary(clients.plugin.describe, clients.plugin, {}, timeoutMs);
  } catch (err) {
    const e = err as ServiceError;
    throw new PluginStartError("HANDSHAKE_FAILED", `Describe RPC to plugin ${plugin} failed: ${e.details ?? e.message}`, {
      plugin, cause: err,
    });
  }
  if (!res.manifest) {
    throw new PluginStartError("HANDSHAKE_FAILED", `plugin ${plugin} answered Describe without a manifest`, { plugin });
  }
  return res.manifest;
}
