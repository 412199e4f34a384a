// Heimdall commands: jobs run through RunCommand (docs/protocol.md §6). A
// command gets its job context (validated), the selected cluster, and line
// writers whose lines stream to the host as they are written; it may return a
// result table.
import type { z } from "zod";
import { CallContext, type CallInfo } from "./context.js";
import { PluginDefinitionError } from "./errors.js";
import { ConfigSchema } from "./schema.js";
import type { StepResult } from "./step.js";

/** Where a command may run: inside the request (sync), queued (async), or both. */
export type ExecutionModeName = "sync" | "async" | "both";

/** Registration options of a command (`plugin.command(options, fn)`). */
export interface CommandOptions<C extends z.ZodType = z.ZodType, K extends z.ZodType = z.ZodType> {
  /** Command name, unique in the plugin. */
  name: string;
  /** One line shown in the manifest. */
  description?: string;
  /** zod object schema of the job context; omitted: accepts `{}` only. */
  context?: C;
  /** Execution mode (default `both`). */
  mode?: ExecutionModeName;
  /** Cluster types this command can run on (e.g. `["local"]`). */
  clusterTypes?: string[];
  /** zod object schema of the selected cluster's `context`; omitted: anything. */
  clusterContext?: K;
}

/** The selected cluster as RunCommand passes it (`cluster_json`). */
export interface ClusterInfo {
  name?: string;
  tags?: string[];
  context?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Writes one output line (a line with newlines is sent as several lines). */
export type LineWriter = (line: string) => void;

/** Context of a running command: job context, cluster, output line writers, cancellation. */
export class CommandContext<Context = Record<string, unknown>> extends CallContext {
  /** Command name. */
  readonly command: string;
  /** The validated job context. */
  readonly context: Context;
  /** The selected cluster (name, tags, context); `{}` when none was given. */
  readonly cluster: ClusterInfo;
  /** Id of the Heimdall job. */
  readonly jobId: string;
  /** Sends a stdout line to the host now. */
  readonly stdout: LineWriter;
  /** Sends a stderr line to the host now. */
  readonly stderr: LineWriter;

  constructor(
    info: CallInfo & { command: string; context: Context; cluster: ClusterInfo; jobId: string; stdout: LineWriter; stderr: LineWriter },
  ) {
    super(info);
    this.command = info.command;
    this.context = info.context;
    this.cluster = info.cluster;
    this.jobId = info.jobId;
    this.stdout = info.stdout;
    this.stderr = info.stderr;
  }
}

/** A command function; it may be async. What it throws becomes COMMAND_FAILED unless it is a HeddleError. */
export type CommandFunction<Context> = (ctx: CommandContext<Context>) => StepResult | Promise<StepResult>;

/** A compiled command. */
export class CommandDefinition {
  readonly name: string;
  readonly description: string;
  readonly mode: ExecutionModeName;
  readonly clusterTypes: readonly string[];
  readonly contextSchema: ConfigSchema<Record<string, unknown>>;
  readonly clusterContextSchema: ConfigSchema<Record<string, unknown>> | undefined;
  readonly fn: CommandFunction<Record<string, unknown>>;

  /** Compiles the options. Throws PluginDefinitionError for a bad schema or mode. */
  constructor(options: CommandOptions, fn: CommandFunction<never>) {
    const label = `command "${options.name}"`;
    this.name = options.name;
    this.description = options.description ?? "";
    this.mode = options.mode ?? "both";
    if (!["sync", "async", "both"].includes(this.mode)) {
      throw new PluginDefinitionError(`${label} has mode "${String(this.mode)}": use "sync", "async" or "both"`);
    }
    this.clusterTypes = options.clusterTypes ?? [];
    this.contextSchema = new ConfigSchema(options.context as z.ZodType<Record<string, unknown>> | undefined, `${label} context`);
    this.clusterContextSchema = options.clusterContext
      ? new ConfigSchema(options.clusterContext as z.ZodType<Record<string, unknown>>, `${label} cluster context`)
      : undefined;
    this.fn = fn as CommandFunction<Record<string, unknown>>;
  }
}
