// Shared plumbing of the package commands: cleanup of staging folders on
// Ctrl-C, and closing HTTP connections so the process exits as soon as the
// work is done. Failures propagate to main(), which prints them as
// `error[CODE] ...` with a hint (report-error.ts) like every other command.
import { closeRegistryConnections } from "../../packages/http-agent.js";
import { removeActiveStagingSync } from "../../packages/staging.js";

/** Runs a package command; whatever it throws is rethrown after cleanup. */
export async function runPackageCommand(work: () => Promise<void>): Promise<void> {
  const onSignal = (signal: NodeJS.Signals): void => {
    removeActiveStagingSync();
    process.stderr.write(`interrupted by ${signal}; nothing half-installed was left behind\n`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await work();
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await closeRegistryConnections();
  }
}

/** Writes a line to stdout (results; progress and warnings go to stderr). */
export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Writes a line to stderr. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}
