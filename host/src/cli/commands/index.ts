import type { Command } from "commander";
import { registerPluginCommands } from "./plugin-commands.js";
import { registerPackageCommands } from "./package-commands.js";

/** Each group adds its sub-commands to the program. */
export const commandGroups: Array<(program: Command) => void> = [
  registerPluginCommands,
  registerPackageCommands,
];
