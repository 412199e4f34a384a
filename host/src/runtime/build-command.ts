// Runs a build tool (go, cargo, pip, venv) and turns its failure into
// BUILD_FAILED quoting the tool's own output.
import { execa } from "execa";
import { PluginStartError } from "../errors.js";
import type { Logger } from "../logger.js";
import { signalGroup } from "../process/process-group.js";

/** Process groups of the builds running now, so a host exiting can kill them. */
const activeBuilds = new Set<number>();

/** SIGKILLs every running build's process group (compilers included). Synchronous, for exit hooks. */
export function killActiveBuilds(): void {
  for (const pgid of activeBuilds) signalGroup(pgid, "SIGKILL");
}

/** Most of the compiler output kept in a BUILD_FAILED message. */
const MAX_OUTPUT_CHARS = 8_000;

/** What is being built, for messages. */
export interface BuildStep {
  plugin: string;
  /** e.g. "go build", "pip install -r requirements.txt". */
  what: string;
  command: string;
  args: string[];
  cwd: string;
  env?: Record<string, string>;
  log: Logger;
  hint?: string;
  /** Aborting it kills the build's whole process group (e.g. the host is closing). */
  signal?: AbortSignal;
}

/** Runs one build command to completion. Fails with BUILD_FAILED carrying the output (or saying it was cancelled). */
export async function runBuildStep(step: BuildStep): Promise<void> {
  const cancelled = () => new PluginStartError("BUILD_FAILED", `${step.what} was cancelled: the host is closing`, { plugin: step.plugin, component: step.what });
  if (step.signal?.aborted) throw cancelled();
  step.log.info(`building: ${step.what}`, { command: [step.command, ...step.args].join(" "), cwd: step.cwd });
  const child = execa(step.command, step.args, {
    cwd: step.cwd,
    env: step.env,
    all: true,
    reject: false,
    stdin: "ignore",
    // Own process group: cancelling kills the compilers it started too, not only the driver.
    detached: true,
    cleanup: false,
  });
  const pgid = child.pid;
  const onAbort = () => { if (pgid) signalGroup(pgid, "SIGKILL"); };
  if (pgid) activeBuilds.add(pgid);
  step.signal?.addEventListener("abort", onAbort, { once: true });
  let result: Awaited<typeof child>;
  try {
    result = await child;
  } finally {
    step.signal?.removeEventListener("abort", onAbort);
    if (pgid) activeBuilds.delete(pgid);
  }
  if (step.signal?.aborted) throw cancelled();
  if (result.exitCode === 0 && !result.failed) return;
  let output = (result.all ?? "").trim();
  if (output.length > MAX_OUTPUT_CHARS) output = "…" + output.slice(-MAX_OUTPUT_CHARS);
  const why = (result as { code?: string }).code === "ENOENT"
    ? `${step.command} is not installed or not on PATH`
    : `exit status ${result.exitCode ?? result.signal}`;
  throw new PluginStartError("BUILD_FAILED", `${step.what} failed (${why})${output ? ":\n" + output : ""}`, {
    plugin: step.plugin,
    component: step.what,
    hint: step.hint ?? "fix the error above and start the plugin again",
  });
}
