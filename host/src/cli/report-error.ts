// How the CLI shows a failure: `error[CODE] component: message`, then a hint
// line saying what to do; the exit status says what kind of failure it was.
import { HostError, hintFor } from "../errors.js";

/** Exit status for usage errors (bad flags or arguments). */
export const EXIT_USAGE = 2;
/** Exit status for every other failure. */
export const EXIT_FAILURE = 1;

/** Formats an error for stderr (several lines; no trailing newline). */
export function formatCliError(err: unknown): string {
  const e = toReportable(err);
  const where = e.component ?? e.plugin ?? "heddle-host";
  const lines = [`error[${e.code}] ${where}: ${e.message}`];
  if (e.field && !e.message.includes(e.field)) lines.push(`  field: ${e.field}`);
  const hint = e.hint ?? hintFor(e.code as never);
  if (hint) lines.push(`hint: ${hint}`);
  if (e.pluginStack && process.env.HEDDLE_SHOW_STACK) lines.push(`plugin stack:\n${e.pluginStack}`);
  return lines.join("\n");
}

/** Exit status for an error. */
export function exitCodeFor(err: unknown): number {
  return toReportable(err).code === "USAGE" ? EXIT_USAGE : EXIT_FAILURE;
}

interface Reportable {
  code: string;
  message: string;
  component?: string;
  plugin?: string;
  field?: string;
  hint?: string;
  pluginStack?: string;
}

function toReportable(err: unknown): Reportable {
  if (err instanceof HostError) return err;
  return {
    code: "INTERNAL",
    message: err instanceof Error ? err.message : String(err),
    hint: "this is a bug in heddle-host: please report it (set HEDDLE_SHOW_STACK=1 for details)",
    pluginStack: err instanceof Error ? err.stack : undefined,
  };
}
