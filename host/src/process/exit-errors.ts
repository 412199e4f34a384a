// Errors built from how a plugin process ended, quoting its last stderr lines.
import { hintFor, PluginCrashError, PluginStartError } from "../errors.js";
import type { ExitInfo } from "./spawn.js";

/** Stderr lines quoted in a start or crash error. */
const QUOTED_LINES = 20;

/** "exit status 1" or "signal SIGKILL". */
export function describeExit(info: ExitInfo): string {
  if (info.spawnError) return `could not be started: ${info.spawnError.message}`;
  if (info.signal) return `signal ${info.signal}`;
  return `exit status ${info.code}`;
}

/** Formats the quoted stderr lines, or "" when there are none. */
export function quoteStderr(lines: string[]): string {
  const last = lines.slice(-QUOTED_LINES);
  if (last.length === 0) return "";
  return `\nlast stderr lines:\n${last.map((l) => "  | " + l).join("\n")}`;
}

/** The error for a process that ended before its handshake (protocol §2.3 step 2). */
export function startExitError(plugin: string, info: ExitInfo, stderr: string[]): PluginStartError {
  const quoted = quoteStderr(stderr);
  if (info.spawnError) {
    return new PluginStartError("PLUGIN_START_FAILED", `plugin ${plugin} ${describeExit(info)}${quoted}`, {
      plugin, cause: info.spawnError, hint: "check the runtime and entrypoint in heddle-plugin.json, and that the interpreter is installed",
    });
  }
  if (info.code === 3) {
    return new PluginStartError("COOKIE_MISMATCH", `plugin ${plugin} refused the host's magic cookie (exit status 3)${quoted}`, {
      plugin, hint: hintFor("COOKIE_MISMATCH"),
    });
  }
  if (info.code === 4) {
    return new PluginStartError("PROTOCOL_MISMATCH", `plugin ${plugin} shares no protocol version with the host (exit status 4)${quoted}`, {
      plugin, hint: hintFor("PROTOCOL_MISMATCH"),
    });
  }
  return new PluginStartError("PLUGIN_START_FAILED", `plugin ${plugin} exited before its handshake (${describeExit(info)})${quoted}`, {
    plugin, hint: "fix the error in the plugin's output above and start it again",
  });
}

/** The error every in-flight call gets when the process dies (protocol §12). */
export function crashError(plugin: string, pid: number | undefined, info: ExitInfo, stderr: string[], reason?: string): PluginCrashError {
  const why = reason ? `${reason}; ` : "";
  return new PluginCrashError(
    "PLUGIN_CRASHED",
    `plugin ${plugin} (pid ${pid}) crashed: ${why}${describeExit(info)}${quoteStderr(stderr)}`,
    { plugin, hint: hintFor("PLUGIN_CRASHED") },
  );
}
