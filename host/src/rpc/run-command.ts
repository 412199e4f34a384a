// RunCommand (protocol §6): a server stream of stdout/stderr lines, result
// chunks and one final status.
import { Metadata } from "@grpc/grpc-js";
import { CommandState, type CommandStatus, type RunCommandResponse } from "@heddle/sdk/gen/heddle/plugin/v1/command";
import { fromPluginError, PluginCallError } from "../errors.js";
import { runCall, type CallSettings, type CallTarget } from "./call-runner.js";

/** One command call as the process-level code sees it. */
export interface CommandCall extends CallSettings {
  command: string;
  contextJson: string;
  clusterJson: string;
  jobId: string;
  resources: Record<string, string>;
  onStdout?: (line: string) => void;
  onStderr?: (line: string) => void;
}

/** The final status of a command, as words. */
export interface CommandOutcome {
  state: "SUCCEEDED" | "FAILED" | "CANCELED" | "UNSPECIFIED";
  exitCode: number;
}

/** Runs the command; resolves with the result IPC bytes (null if none) and status; rejects when the status carries an error. */
export function runCommandOnProcess(target: CallTarget, call: CommandCall): Promise<{ result: Uint8Array | null; status: CommandOutcome }> {
  return runCall(target, call, (control, deadline) => {
    const stream = target.clients.plugin.runCommand(
      { callId: call.callId, command: call.command, contextJson: call.contextJson, clusterJson: call.clusterJson, jobId: call.jobId, resources: call.resources },
      new Metadata(),
      deadline ? { deadline } : {},
    );
    const chunks: Buffer[] = [];
    let status: CommandStatus | undefined;
    stream.on("data", (msg: RunCommandResponse) => {
      const ev = msg.event;
      if (!ev) return;
      if (ev.$case === "stdoutLine") call.onStdout?.(ev.stdoutLine);
      else if (ev.$case === "stderrLine") call.onStderr?.(ev.stderrLine);
      else if (ev.$case === "resultChunk") chunks.push(ev.resultChunk.data);
      else if (ev.$case === "status") status = ev.status;
    });
    stream.on("error", (err) => control.failGrpc(err as Parameters<typeof control.failGrpc>[0]));
    stream.on("end", () => {
      if (control.settled) return;
      if (!status) {
        control.reject(new PluginCallError("INVALID_OUTPUT", `the plugin ended RunCommand ${call.component} without a status`, {
          plugin: target.pluginName, component: call.component, hint: "this is a bug in the plugin's SDK (protocol §6)",
        }));
        return;
      }
      if (status.error && status.error.code) {
        control.reject(fromPluginError(status.error, target.pluginName, call.component));
        return;
      }
      control.resolve({ result: chunks.length ? Buffer.concat(chunks) : null, status: { state: stateName(status.state), exitCode: status.exitCode } });
    });
    return stream;
  });
}

function stateName(state: CommandState): CommandOutcome["state"] {
  switch (state) {
    case CommandState.COMMAND_STATE_SUCCEEDED: return "SUCCEEDED";
    case CommandState.COMMAND_STATE_FAILED: return "FAILED";
    case CommandState.COMMAND_STATE_CANCELED: return "CANCELED";
    default: return "UNSPECIFIED";
  }
}
