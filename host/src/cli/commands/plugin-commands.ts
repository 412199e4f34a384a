import type { Command } from "commander";

/** describe, call, new, dev: commands that run plugins. */
export function registerPluginCommands(_program: Command): void {}
