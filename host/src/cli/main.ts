import { Command } from "commander";
import { commandGroups } from "./commands/index.js";

/** Runs the `heddle-host` CLI and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command("heddle-host")
    .description("Launch and call polyglot Heddle plugins; install them from an Fhub registry")
    .option("--log-level <level>", "trace|debug|info|warn|error", "warn")
    .showHelpAfterError()
    .exitOverride();
  for (const register of commandGroups) register(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
    if (typeof e.exitCode === "number" && e.code?.startsWith("commander.")) return e.exitCode || 2;
    throw err;
  }
}
