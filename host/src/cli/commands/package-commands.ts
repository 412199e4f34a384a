import type { Command } from "commander";

/** install, publish, pack, …: commands that move plugin packages to and from a registry. */
export function registerPackageCommands(_program: Command): void {}
