// The process side of the protocol's start sequence (docs/protocol.md §2.2):
// cookie check (exit 3), protocol version pick (exit 4), listen on the Unix
// socket the host chose, serve PluginService + ControllerService + Health,
// print the handshake line, then watch stdin and signals for the stop.
import { rmSync } from "node:fs";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { Logger, levelFromEnv } from "../core/logger.js";
import { segmentDirFromEnv } from "../core/shm-write.js";
import { ControllerServiceService } from "../gen/heddle/plugin/v1/controller.js";
import { PluginServiceService } from "../gen/heddle/plugin/v1/plugin.js";
import { SUPPORTED_PROTOCOL_VERSIONS } from "../version.js";
import { framesSocketPath } from "../frames/index.js";
import { FrameServer } from "./frame-server.js";
import { HEALTH_SERVICES, Lifecycle } from "./lifecycle.js";
import type { PluginDefinitions } from "./manifest.js";
import {
  EXIT_COOKIE_MISMATCH,
  EXIT_PROTOCOL_MISMATCH,
  EXIT_START_FAILED,
  HANDSHAKE_COOKIE,
  MAX_GRPC_MESSAGE_BYTES,
  type ServeOptions,
} from "./options.js";
import { PluginRuntime } from "./runtime.js";
import { controllerService, pluginService } from "./servicer.js";

/** A plugin that is serving. */
export interface ServingPlugin {
  /** The socket path it listens on. */
  socketPath: string;
  /** The protocol version it announced. */
  protocolVersion: number;
  /** Stops gracefully (as the Shutdown RPC does) and exits the process. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Serves `definitions` as the host expects. Exits the process with status 3
 * (cookie missing or wrong), 4 (no common protocol version) or 1 (no socket
 * variable, a broken definition, the socket cannot be bound), each with a
 * message on stderr saying what to do. Resolves once the handshake line is printed.
 */
export async function serve(definitions: PluginDefinitions, options: ServeOptions = {}): Promise<ServingPlugin> {
  const env = options.env ?? process.env;
  checkCookie(env);
  const protocolVersion = pickProtocolVersion(env);
  const socketPath = env.HEDDLE_PLUGIN_SOCKET;
  if (!socketPath) {
    fail(EXIT_START_FAILED, "HEDDLE_SOCKET_MISSING: HEDDLE_PLUGIN_SOCKET is not set: run this plugin through heddle-host, which chooses the socket path");
  }
  const logger = new Logger({ level: levelFromEnv(env) });
  let runtime: PluginRuntime;
  try {
    runtime = new PluginRuntime(definitions, logger, protocolVersion, segmentDirFromEnv(env));
  } catch (err) {
    fail(EXIT_START_FAILED, `HEDDLE_PLUGIN_DEFINITION: ${(err as Error).message}`);
  }

  const server = new Server({
    "grpc.max_receive_message_length": MAX_GRPC_MESSAGE_BYTES,
    "grpc.max_send_message_length": MAX_GRPC_MESSAGE_BYTES,
  });
  const health = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((name) => [name, "SERVING" as const])));
  const frames = new FrameServer(runtime, framesSocketPath(socketPath));
  const lifecycle = new Lifecycle(runtime, server, health, socketPath, frames);
  server.addService(PluginServiceService, pluginService(runtime));
  server.addService(ControllerServiceService, controllerService(runtime, (graceMs, reason) => void lifecycle.stop(graceMs, reason)));
  health.addToServer(server);

  rmSync(socketPath, { force: true }); // a stale socket from a crashed run would make bind fail
  await bindUnix(server, socketPath).catch((err: Error) =>
    fail(EXIT_START_FAILED, `HEDDLE_SOCKET_ERROR: cannot listen on unix socket ${socketPath}: ${err.message}: check that its folder exists and is writable`),
  );
  await frames.listen().catch((err: Error) =>
    fail(EXIT_START_FAILED, `HEDDLE_SOCKET_ERROR: cannot listen on unix socket ${framesSocketPath(socketPath)}: ${err.message}: check that its folder is writable`),
  );
  lifecycle.watchProcess();
  // The handshake line: the one thing this process ever prints to stdout itself.
  process.stdout.write(`HEDDLE|1|${protocolVersion}|unix|${socketPath}|grpc\n`);
  logger.debug("serving", { namespace: definitions.namespace, socket: socketPath, protocol_version: protocolVersion });
  return { socketPath, protocolVersion, stop: (graceMs = 0) => lifecycle.stop(graceMs, "stop() called") };
}

function checkCookie(env: NodeJS.ProcessEnv): void {
  if (env.HEDDLE_PLUGIN_COOKIE === HANDSHAKE_COOKIE) return;
  fail(
    EXIT_COOKIE_MISMATCH,
    "HEDDLE_COOKIE_MISMATCH: this program is a Heddle plugin and must be started by heddle-host, not run directly. " +
      "Try `heddle-host describe <plugin-folder>` or `heddle-host call <plugin-folder> <namespace.step>`.",
  );
}

/** The highest version both the host (HEDDLE_PLUGIN_PROTOCOL_VERSIONS) and this SDK speak; exits 4 when none. */
function pickProtocolVersion(env: NodeJS.ProcessEnv): number {
  const raw = env.HEDDLE_PLUGIN_PROTOCOL_VERSIONS ?? "";
  const offered = raw
    .split(",")
    .map((part) => Number.parseInt(part.trim(), 10))
    .filter((version) => Number.isInteger(version) && version > 0);
  const common = offered.filter((version) => SUPPORTED_PROTOCOL_VERSIONS.includes(version));
  if (common.length === 0) {
    fail(
      EXIT_PROTOCOL_MISMATCH,
      `HEDDLE_PROTOCOL_MISMATCH: the host speaks protocol versions [${raw}] but this plugin's SDK speaks [${SUPPORTED_PROTOCOL_VERSIONS.join(",")}]: ` +
        "upgrade the older of heddle-host and the plugin's @heddle/sdk.",
    );
  }
  return Math.max(...common);
}

function bindUnix(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
  });
}

function fail(exitCode: number, message: string): never {
  process.stderr.write(message + "\n");
  process.exit(exitCode);
}
