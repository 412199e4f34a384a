import type { Command } from "commander";
import { registerInstallCommands } from "./pkg-install.js";
import { registerPublishCommands } from "./pkg-publish.js";
import { registerQueryCommands } from "./pkg-query.js";
import { registerRegistryCommands } from "./pkg-registry.js";

/**
 * install, update, remove, list, search, info, publish, pack, yank, deprecate,
 * dist-tag, login, logout, registry, key: commands that move plugin packages
 * to and from an Fhub registry (implementations in pkg-*.ts).
 */
export function registerPackageCommands(program: Command): void {
  registerInstallCommands(program);
  registerPublishCommands(program);
  registerQueryCommands(program);
  registerRegistryCommands(program);
}
