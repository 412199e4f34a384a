import type { Command } from "commander";
import { registerCallCommand } from "./call.js";
import { registerDescribeCommand } from "./describe.js";
import { registerDevCommand } from "./dev.js";
import { registerNewCommand } from "./new.js";

/** describe, call, new, dev: commands that run plugins. */
export function registerPluginCommands(program: Command): void {
  registerDescribeCommand(program);
  registerCallCommand(program);
  registerNewCommand(program);
  registerDevCommand(program);
}
