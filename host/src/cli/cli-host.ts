// The PluginHost a CLI command uses, configured from the global flags, and
// always closed when the command ends.
import type { Command } from "commander";
import { PluginHost } from "../host.js";
import type { LogLevel } from "../logger.js";
import type { HostOptions } from "../options.js";

/** The global --log-level of the program a sub-command belongs to. */
export function globalLogLevel(cmd: Command): LogLevel {
  return (cmd.optsWithGlobals() as { logLevel?: LogLevel }).logLevel ?? "warn";
}

/** Runs `body` with a fresh host (`options` added to the global ones) and closes it (stopping every plugin) whatever happens. */
export async function withHost<T>(cmd: Command, body: (host: PluginHost) => Promise<T>, options: HostOptions = {}): Promise<T> {
  const host = new PluginHost({ ...options, logLevel: globalLogLevel(cmd) });
  try {
    return await body(host);
  } finally {
    await host.close();
  }
}
