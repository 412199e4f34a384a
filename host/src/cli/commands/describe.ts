// `heddle-host describe <plugin-dir>`: start the plugin and print its manifest as JSON.
import type { Command } from "commander";
import { InProcessPlugin } from "../../inprocess/native-plugin.js";
import { Plugin } from "../../plugin/plugin.js";
import { withHost } from "../cli-host.js";

/** Registers `describe`. */
export function registerDescribeCommand(program: Command): void {
  program
    .command("describe")
    .description("start a plugin and print its manifest (steps, resources, commands, schemas) and handshake as JSON")
    .argument("<plugin-dir>", "plugin folder (or installed plugin name)")
    .action(async (pluginRef: string, _opts: unknown, cmd: Command) => {
      await withHost(cmd, async (host) => {
        const plugin = await host.load(pluginRef, { pool: 1 }); // one process is enough to describe
        const out = {
          ...plugin.manifest,
          ...(plugin instanceof Plugin ? { handshake: plugin.handshake } : {}),
          plugin: {
            name: plugin.pluginJson.name,
            version: plugin.pluginJson.version,
            runtime: plugin.pluginJson.runtime,
            entrypoint: plugin.pluginJson.entrypoint,
            description: plugin.pluginJson.description,
            dir: plugin.dir,
            ...(plugin instanceof InProcessPlugin ? { library: plugin.libraryPath } : {}),
          },
        };
        process.stdout.write(JSON.stringify(out, null, 2) + "\n");
      });
    });
}
