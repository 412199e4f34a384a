// Every top-level command of `heddle-host`, loaded lazily. Importing a command
// module pulls in what it runs on (grpc-js and apache-arrow for plugin
// commands; undici, tar and esbuild for package ones): about half a second.
// So this table also carries what `heddle-host --help` prints for each
// command, and main() imports only the module of the command being run. A
// test (host/test/cli-lazy-commands.test.ts) fails when a term or description
// here drifts from the command's own definition.
import type { Command } from "commander";
import { PACKAGE_COMMANDS } from "./package-commands.js";

/** Adds one module's commands to the program. */
export type Registrar = (program: Command) => void;

/** A top-level command: what the program's help says about it, and how to load the module that defines it. */
export interface LazyCommand {
  name: string;
  /** The help's left column, as Commander prints it (`call [options] <plugin-dir> <step>`). */
  term: string;
  description: string;
  /** Imports the module that registers this command (and the other commands of that module). */
  load: () => Promise<Registrar>;
}

const loadDescribe = async (): Promise<Registrar> => (await import("./describe.js")).registerDescribeCommand;
const loadCall = async (): Promise<Registrar> => (await import("./call.js")).registerCallCommand;
const loadNew = async (): Promise<Registrar> => (await import("./new.js")).registerNewCommand;
const loadDev = async (): Promise<Registrar> => (await import("./dev.js")).registerDevCommand;
const loadInspect = async (): Promise<Registrar> => (await import("./inspect.js")).registerInspectCommand;

/** describe, call, new, dev, inspect: commands that run plugins or look inside hosts. */
const PLUGIN_COMMANDS: LazyCommand[] = [
  { name: "describe", term: "describe <plugin-dir>", description: "start a plugin and print its manifest (steps, resources, commands, schemas) and handshake as JSON", load: loadDescribe },
  { name: "call", term: "call [options] <plugin-dir> <step>", description: "start a plugin, call one step and print its output table", load: loadCall },
  { name: "new", term: "new [options] <dir>", description: "create a new plugin folder (heddle-plugin.json, plugin code, a test, README)", load: loadNew },
  { name: "dev", term: "dev <plugin-dir>", description: "run a plugin and restart it on every change to its folder (Ctrl-C to stop)", load: loadDev },
  { name: "inspect", term: "inspect", description: "look inside running hosts (inspect memory: live shared-memory segments)", load: loadInspect },
];

/** All top-level commands, in the order the help lists them. */
export const COMMANDS: readonly LazyCommand[] = [...PLUGIN_COMMANDS, ...PACKAGE_COMMANDS];

/**
 * Imports the modules of `commands` and registers them on `program`, each
 * module once, in table order. Fails only if a module fails to load (a broken
 * build), which main() reports like any other error.
 */
export async function registerCommands(program: Command, commands: readonly LazyCommand[]): Promise<void> {
  const registrars = await Promise.all(commands.map((c) => c.load()));
  for (const register of new Set(registrars)) register(program);
}

/**
 * Registers name-and-description stand-ins for every command, so the
 * program's help lists them all without importing any of them. Only for a
 * run that names no command (`--help`, `help`, nothing): a stand-in has no
 * action, options or arguments of its own.
 */
export function registerCommandSummaries(program: Command, commands: readonly LazyCommand[]): void {
  const terms = new Map<Command, string>();
  for (const c of commands) terms.set(program.command(c.name).description(c.description), c.term);
  const help = program.createHelp();
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd) ?? help.subcommandTerm(cmd) });
}
