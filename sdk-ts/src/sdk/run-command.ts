// RunCommand (docs/protocol.md §6): a Heimdall command streams its stdout and
// stderr lines as it writes them, then its result table as chunks, then one
// final status.
import { type ServerWritableStream, status as GrpcStatus } from "@grpc/grpc-js";
import * as arrow from "apache-arrow";
import { type ClusterInfo, CommandContext, type CommandDefinition } from "../core/command.js";
import { type ErrorCodeName, HeddleError, InvalidConfigError, InvalidOutputError, toHeddleError } from "../core/errors.js";
import { chunkIpc, encodeIpcStream } from "../core/ipc.js";
import { Table } from "../core/table.js";
import { CommandState, type RunCommandRequest, type RunCommandResponse } from "../gen/heddle/plugin/v1/command.js";
import { grpcDeadlineAt, watchClientCancel } from "./call-deadline.js";
import type { CallControl } from "./calls.js";
import { asBuffer } from "./invoke-unary.js";
import type { PluginRuntime } from "./runtime.js";
import { writeWithBackpressure } from "./stream-write.js";
import { type ErrorPhase, toProtoError } from "./proto-error.js";

type CommandCall = ServerWritableStream<RunCommandRequest, RunCommandResponse>;

/** gRPC handler of PluginService.RunCommand. */
export function handleRunCommand(runtime: PluginRuntime, call: CommandCall): void {
  const request = call.request;
  if (!runtime.isAccepting) {
    call.emit("error", { code: GrpcStatus.UNAVAILABLE, details: "the plugin is shutting down and accepts no new commands" });
    return;
  }
  const deadlineAt = grpcDeadlineAt(call.getDeadline());
  const control = runtime.beginCall(request.callId, request.command, 0, deadlineAt);
  watchClientCancel(call, control, deadlineAt);
  // A broken stream is the host going away: treat it as a cancellation.
  call.on("error", () => control.abort("cancelled", "the RunCommand stream broke"));
  void runCommand(runtime, call, control).finally(() => {
    control.markAnswered();
    if (!call.cancelled) call.end();
  });
}

async function runCommand(runtime: PluginRuntime, call: CommandCall, control: CallControl): Promise<void> {
  const request = call.request;
  let definition: CommandDefinition;
  let ctx: CommandContext;
  try {
    definition = findCommand(runtime, request.command);
    ctx = buildContext(runtime, definition, request, control, call);
  } catch (err) {
    runtime.calls.end(control);
    await sendStatus(call, control, err, request.command, "checks");
    return;
  }
  const outcome = await runtime.runPluginCode(control, () => definition.fn(ctx));
  if (!outcome.ok) {
    await sendStatus(call, control, outcome.error, definition.name, "plugin-code");
    return;
  }
  try {
    const table = resultTable(definition, outcome.value);
    if (table) {
      for (const chunk of chunkIpc(encodeIpcStream(table))) {
        await writeWithBackpressure(call, { event: { $case: "resultChunk", resultChunk: { data: asBuffer(chunk) } } }, control.signal);
      }
    }
  } catch (err) {
    await sendStatus(call, control, err, definition.name, "checks");
    return;
  }
  await sendStatus(call, control, undefined, definition.name, "plugin-code");
}

function findCommand(runtime: PluginRuntime, name: string): CommandDefinition {
  const definition = runtime.definitions.commands.get(name);
  if (definition) return definition;
  const known = [...runtime.definitions.commands.keys()].sort().join(", ") || "none";
  throw new HeddleError("UNKNOWN_COMMAND", `plugin "${runtime.definitions.namespace}" has no command "${name}"; it has: ${known}`, { component: name });
}

/** Validates context, cluster and resources. Throws INVALID_CONFIG / RESOURCE_NOT_OPEN. */
function buildContext(runtime: PluginRuntime, definition: CommandDefinition, request: RunCommandRequest, control: CallControl, call: CommandCall): CommandContext {
  const context = definition.contextSchema.parseJson(request.contextJson);
  const cluster = parseCluster(definition, request.clusterJson);
  const label = `command "${definition.name}"`;
  const resources = runtime.instances.resolveBindings(label, [], request.resources);
  const writeLines = (kind: "stdoutLine" | "stderrLine") => (text: string) => {
    for (const line of String(text).split(/\r?\n/)) {
      const event = kind === "stdoutLine" ? { $case: kind, stdoutLine: line } : { $case: kind, stderrLine: line };
      if (!call.cancelled) call.write({ event } as RunCommandResponse);
    }
  };
  return new CommandContext({
    callId: request.callId,
    signal: control.signal,
    deadline: control.deadline,
    logger: runtime.logger.child({ call_id: request.callId, command: definition.name }),
    resources,
    command: definition.name,
    context,
    cluster,
    jobId: request.jobId,
    stdout: writeLines("stdoutLine"),
    stderr: writeLines("stderrLine"),
  });
}

function parseCluster(definition: CommandDefinition, clusterJson: string): ClusterInfo {
  let cluster: unknown = {};
  if (clusterJson.trim() !== "") {
    try {
      cluster = JSON.parse(clusterJson);
    } catch (err) {
      throw new InvalidConfigError(`invalid cluster for command "${definition.name}": not valid JSON (${(err as Error).message})`, "");
    }
  }
  if (cluster === null || typeof cluster !== "object" || Array.isArray(cluster)) {
    throw new InvalidConfigError(`invalid cluster for command "${definition.name}": expected a JSON object`, "");
  }
  const info = cluster as ClusterInfo;
  if (definition.clusterContextSchema) {
    try {
      info.context = definition.clusterContextSchema.parse(info.context ?? {});
    } catch (err) {
      const bad = toHeddleError(err, "INVALID_CONFIG");
      throw new InvalidConfigError(bad.message, `/context${bad.field ?? ""}`);
    }
  }
  return info;
}

function resultTable(definition: CommandDefinition, value: unknown): arrow.Table | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Table) return value.arrow;
  if (value instanceof arrow.Table) return value;
  throw new InvalidOutputError(`command "${definition.name}" returned a ${typeof value}, not a table: return a Table or null`, { component: definition.name });
}

async function sendStatus(call: CommandCall, control: CallControl, err: unknown, component: string, phase: ErrorPhase): Promise<void> {
  if (call.cancelled) return;
  if (err === undefined) {
    await writeWithBackpressure(call, { event: { $case: "status", status: { state: CommandState.COMMAND_STATE_SUCCEEDED, exitCode: 0 } } }, control.signal);
    return;
  }
  const fallback: ErrorCodeName = phase === "plugin-code" ? "COMMAND_FAILED" : "INTERNAL";
  const error = toProtoError(err, fallback, component, phase);
  const code = toHeddleError(err, fallback).code;
  const state = code === "CANCELLED" ? CommandState.COMMAND_STATE_CANCELED : CommandState.COMMAND_STATE_FAILED;
  await writeWithBackpressure(call, { event: { $case: "status", status: { state, error, exitCode: 1 } } }, control.signal);
}
