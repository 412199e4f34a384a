import { Command, InvalidArgumentError } from "commander";
import { isLogLevel, LOG_LEVELS } from "../logger.js";
import { commandGroups } from "./commands/index.js";
import { EXIT_USAGE, exitCodeFor, formatCliError } from "./report-error.js";

/** Runs the `heddle-host` CLI and resolves to the process exit code. Never throws: failures are printed as `error[CODE] …`. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command("heddle-host")
    .description("Launch and call polyglot Heddle plugins; install them from an Fhub registry")
    .option("--log-level <level>", LOG_LEVELS.join("|"), parseLogLevel, "warn")
    .showHelpAfterError("hint: run with --help for usage")
    .configureOutput({
      // Commander's own usage errors get the same shape as every other failure.
      outputError: (str, write) => write(`error[USAGE] heddle-host: ${str.replace(/^error: /, "")}`),
    })
    .exitOverride();
  for (const register of commandGroups) register(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return 0;
    if (typeof e.exitCode === "number" && e.code?.startsWith("commander.")) return e.exitCode === 0 ? 0 : EXIT_USAGE;
    process.stderr.write(formatCliError(err) + "\n");
    return exitCodeFor(err);
  }
}

function parseLogLevel(value: string): string {
  if (!isLogLevel(value)) throw new InvalidArgumentError(`must be one of ${LOG_LEVELS.join(", ")}`);
  return value;
}
