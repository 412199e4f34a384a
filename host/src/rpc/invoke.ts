// Invoke (unary, small inputs) and InvokeStream (large inputs or outputs) on
// one plugin process (protocol §5). Returns the output's raw IPC bytes, or
// the SharedMemoryRef a plugin answered with (protocol §8).
import { Metadata, status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import type { SharedMemoryRef } from "@heddle/sdk/gen/heddle/plugin/v1/data";
import type { InvokeHeader, InvokeStage, InvokeResponse, InvokeStreamRequest, InvokeStreamResponse } from "@heddle/sdk/gen/heddle/plugin/v1/invoke";
import { splitIpcIntoChunks } from "../arrow/chunking.js";
import { type IpcPayload, payloadBytes, payloadLength } from "../arrow/ipc.js";
import { ErrorCode } from "@heddle/sdk/gen/heddle/plugin/v1/errors";
import { fromPluginError, PluginCallError, ProcessStoppingError } from "../errors.js";
import { runCall, type CallSettings, type CallTarget } from "./call-runner.js";
import type { FrameConnection } from "./frames/connection.js";

/** One call as the process-level code sees it. */
export interface InvokeCall extends CallSettings {
  /** Step or handler name without namespace. */
  step: string;
  configJson: string;
  /** Binding → plugin-side instance id. */
  resources: Record<string, string>;
  /** Input as Arrow IPC stream bytes (whole or as pieces), or undefined for no input. */
  input?: IpcPayload;
  /** Input by handle (capability shm); takes precedence over `input`. */
  inputRef?: SharedMemoryRef;
  /** InvokeHeader.shm_output_threshold (0 = never answer by handle). */
  shmOutputThreshold?: number;
  /** Rows of the input, when known (sent as InlineTable.num_rows). */
  inputRows?: number;
  /** Use InvokeStream. */
  stream: boolean;
  /** Fused stages run after `step` inside the plugin, in memory (InvokeHeader.then). */
  then?: InvokeStage[];
}

/** What a call answered: IPC stream bytes, a segment handle, or null (no table). */
export type InvokeOutput = Uint8Array | { shm: SharedMemoryRef } | null;

/** Runs the call; resolves with the output IPC bytes or handle, or null for a step that returned no table. */
export function invokeOnProcess(target: CallTarget, call: InvokeCall): Promise<InvokeOutput> {
  const lane = target.frames;
  if (lane?.usable) return invokeFramed(target, lane, call);
  return call.stream ? invokeStream(target, call) : invokeUnary(target, call);
}

/** The header of a call; `streamed`: input bytes travel outside the message (chunks or a frame payload). */
function header(call: InvokeCall, streamed: boolean): InvokeHeader {
  const input = call.inputRef
    ? { kind: { $case: "shm" as const, shm: call.inputRef } }
    : call.input === undefined
    ? undefined
    : streamed
      ? { kind: { $case: "streamed" as const, streamed: { totalBytes: payloadLength(call.input) } } }
      : { kind: { $case: "inline" as const, inline: { ipc: asBuffer(payloadBytes(call.input)), numRows: call.inputRows ?? 0 } } };
  return {
    callId: call.callId,
    step: call.step,
    configJson: call.configJson,
    resources: call.resources,
    input,
    timeoutMs: call.timeoutMs && call.timeoutMs > 0 ? call.timeoutMs : 0,
    shmOutputThreshold: call.shmOutputThreshold ?? 0,
    then: call.then ?? [],
  };
}

function invokeUnary(target: CallTarget, call: InvokeCall): Promise<InvokeOutput> {
  return runCall<InvokeOutput>(target, call, (control, deadline) =>
    target.clients.plugin.invoke({ header: header(call, false) }, new Metadata(), deadline ? { deadline } : {}, (err, res) => {
      if (err) return control.failGrpc(err);
      try {
        control.resolve(outputOf(target, call, res, []));
      } catch (e) {
        control.reject(e as PluginCallError);
      }
    }),
  );
}

/** One call on the frame lane (protocol §5.5): header and input payload in one frame, the result in another. */
function invokeFramed(target: CallTarget, lane: FrameConnection, call: InvokeCall): Promise<InvokeOutput> {
  return runCall<InvokeOutput>(target, call, (control, deadline) => {
    let timer: NodeJS.Timeout | undefined;
    const callNo = lane.call(header(call, true), call.inputRef ? undefined : call.input, {
      result: (res, payload) => {
        clearTimeout(timer);
        try {
          control.resolve(outputOf(target, call, res, payload ? [payload] : []));
        } catch (e) {
          control.reject(e as PluginCallError);
        }
      },
      fail: (err) => {
        clearTimeout(timer);
        control.failGrpc(laneFailure(err));
      },
    });
    if (deadline) {
      // gRPC enforces deadlines on its calls; on the frame lane the host does.
      timer = setTimeout(() => {
        lane.forget(callNo);
        target.clients.controller.cancel({ callId: call.callId, reason: "deadline exceeded" }, new Metadata(), { deadline: Date.now() + 1_000 }, () => undefined);
        control.failGrpc({ code: GrpcStatus.DEADLINE_EXCEEDED, details: "deadline exceeded", message: "deadline exceeded" } as ServiceError);
      }, Math.max(0, deadline.getTime() - Date.now()));
    }
    return {
      cancel: () => {
        clearTimeout(timer);
        lane.forget(callNo);
      },
    };
  });
}

/** A Buffer view of the same bytes (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A broken frame connection as the gRPC status the call runner explains (crash or TRANSPORT). */
function laneFailure(err: Error): ServiceError {
  return { code: GrpcStatus.UNAVAILABLE, details: `frame lane: ${err.message}`, message: err.message } as ServiceError;
}

function invokeStream(target: CallTarget, call: InvokeCall): Promise<InvokeOutput> {
  return runCall<InvokeOutput>(target, call, (control, deadline) => {
    const stream = target.clients.plugin.invokeStream(new Metadata(), deadline ? { deadline } : {});
    const chunks: Buffer[] = [];
    let result: InvokeResponse | undefined;
    stream.on("data", (msg: InvokeStreamResponse) => {
      if (msg.msg?.$case === "chunk") chunks.push(msg.msg.chunk.data);
      else if (msg.msg?.$case === "result") result = msg.msg.result;
    });
    stream.on("error", (err) => control.failGrpc(err as Parameters<typeof control.failGrpc>[0]));
    stream.on("end", () => {
      if (control.settled) return;
      if (!result) {
        control.reject(new PluginCallError("INVALID_OUTPUT", `the plugin ended the InvokeStream of ${call.component} without a result message`, {
          plugin: target.pluginName, component: call.component, hint: "this is a bug in the plugin's SDK (protocol §5.2)",
        }));
        return;
      }
      try {
        control.resolve(outputOf(target, call, result, chunks));
      } catch (e) {
        control.reject(e as PluginCallError);
      }
    });
    void writeRequest(stream, call, () => control.settled);
    return stream;
  });
}

/** Writes header, input chunks (≤ 2 MiB, cut at IPC message boundaries) and half-closes, honouring backpressure. */
async function writeRequest(
  stream: { write(m: InvokeStreamRequest): boolean; end(): void; once(e: "drain", f: () => void): unknown },
  call: InvokeCall,
  stopped: () => boolean,
): Promise<void> {
  const send = async (m: InvokeStreamRequest) => {
    if (stopped()) return;
    if (!stream.write(m)) await new Promise<void>((r) => stream.once("drain", r));
  };
  try {
    await send({ msg: { $case: "header", header: header(call, true) } });
    if (call.input && !call.inputRef) {
      for (const chunk of splitIpcIntoChunks(payloadBytes(call.input))) {
        if (stopped()) return;
        await send({ msg: { $case: "chunk", chunk: { data: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length) } } });
      }
    }
    if (!stopped()) stream.end();
  } catch {
    // The call failed while writing; its error arrives through the stream's 'error' event.
  }
}

/** The output bytes or handle of a finished call, or throws the plugin's error. */
function outputOf(target: CallTarget, call: InvokeCall, res: InvokeResponse, chunks: Buffer[]): InvokeOutput {
  if (res.error) {
    // A plugin shutting down refuses new frame-lane calls; the pool sends the call elsewhere.
    if (res.error.code === ErrorCode.ERROR_CODE_PLUGIN_UNAVAILABLE && target.frames) {
      throw new ProcessStoppingError(`plugin ${target.pluginName} is shutting down: ${res.error.message}`, { plugin: target.pluginName, component: call.component });
    }
    throw fromPluginError(res.error, target.pluginName, call.component);
  }
  const kind = res.output?.kind;
  const gathered = () => (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  if (!kind) return chunks.length ? gathered() : null;
  if (kind.$case === "inline") return kind.inline.ipc;
  if (kind.$case === "streamed") return gathered();
  if (kind.$case === "shm" && call.shmOutputThreshold) return { shm: kind.shm };
  throw new PluginCallError("INVALID_OUTPUT", `the plugin answered ${call.component} with a shared-memory table, which this host did not ask for`, {
    plugin: target.pluginName, component: call.component, hint: "this is a bug in the plugin's SDK (capability shm, protocol §2.4 and §8.2)",
  });
}
