// `heddle-host dev <plugin-dir>`: run a plugin and restart it whenever a file changes.
import type { Command } from "commander";
import { PluginHost } from "../../host.js";
import { formatLogRecord, LOG_LEVELS, type LogLevel, type LogRecord } from "../../logger.js";
import { globalLogLevel } from "../cli-host.js";

/** Registers `dev`. */
export function registerDevCommand(program: Command): void {
  program
    .command("dev")
    .description("run a plugin and restart it on every change to its folder (Ctrl-C to stop)")
    .argument("<plugin-dir>", "plugin folder")
    .action(async (pluginRef: string, _opts: unknown, cmd: Command) => {
      const say = (line: string) => process.stdout.write(`[dev] ${line}\n`);
      // Dev mode says what it does (the host's info records), whatever --log-level filters out of the plugin's own lines.
      const userLevel = globalLogLevel(cmd);
      const shown = (level: LogLevel) => LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(userLevel);
      const host = new PluginHost({
        logLevel: shown("info") ? userLevel : "info",
        logSink: (rec: LogRecord) => {
          if (!rec.stream && rec.level === "info") say(rec.message);
          else if (shown(rec.level)) process.stderr.write(formatLogRecord(rec) + "\n");
        },
        handleProcessSignals: false,
      });
      const plugin = await host.load(pluginRef, { watch: true }).catch(async (err) => {
        await host.close();
        throw err;
      });
      const summary = () => {
        const steps = plugin.manifest.steps.map((s) => `${plugin.manifest.namespace}.${s.name}`);
        say(`${plugin.name} ready (pid ${plugin.pids.join(", ")}); steps: ${steps.join(", ") || "none"}`);
      };
      summary();
      plugin.on("reloaded", summary);
      plugin.on("crash", () => say("plugin crashed; restarting it"));
      await new Promise<void>((resolve) => {
        const stop = () => {
          say("stopping");
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          void host.close().then(resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
