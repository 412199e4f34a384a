import { Command, InvalidArgumentError } from "commander";
import { isLogLevel, LOG_LEVELS } from "../logger.js";
import { COMMANDS, registerCommands, registerCommandSummaries } from "./commands/index.js";

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
  try {
    // Load only the module of the command being run: `--help` and `install`
    // must not pay for grpc-js and apache-arrow, nor `call` for the package client.
    const name = commandName(program, argv.slice(2));
    const wanted = COMMANDS.filter((c) => c.name === name);
    if (name === undefined) registerCommandSummaries(program, COMMANDS);
    else await registerCommands(program, wanted.length > 0 ? wanted : COMMANDS); // unknown: Commander suggests a near name
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    // loaded only on failure: it pulls in the error-code tables, which a successful run never needs
    const { EXIT_USAGE, exitCodeFor, formatCliError } = await import("./report-error.js");
    const e = err as { code?: string; exitCode?: number };
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return 0;
    if (typeof e.exitCode === "number" && e.code?.startsWith("commander.")) return e.exitCode === 0 ? 0 : EXIT_USAGE;
    process.stderr.write(formatCliError(err) + "\n");
    return exitCodeFor(err);
  }
}

/**
 * The top-level command `args` name (for `help X`, X), or undefined when they
 * name none (`--help`, `help`, nothing). Skips the program's own options and
 * their values, as Commander will.
 */
function commandName(program: Command, args: string[]): string | undefined {
  const takesValue = new Set(program.options.filter((o) => o.required || o.optional).map((o) => o.long));
  const operands: string[] = [];
  for (let i = 0; i < args.length && operands.length < 2; i++) {
    const arg = args[i]!;
    if (arg === "--") break;
    if (!arg.startsWith("-")) operands.push(arg);
    else if (takesValue.has(arg)) i++; // `--log-level debug`; `--log-level=debug` is one token
  }
  return operands[0] === "help" ? operands[1] : operands[0];
}

function parseLogLevel(value: string): string {
  if (!isLogLevel(value)) throw new InvalidArgumentError(`must be one of ${LOG_LEVELS.join(", ")}`);
  return value;
}
