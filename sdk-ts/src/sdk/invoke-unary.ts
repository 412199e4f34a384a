// Unary Invoke (docs/protocol.md §5.1): inline or shared-memory input in;
// inline output out, or a segment by handle when the host set a threshold (§8.2).
import { type ServerUnaryCall, type sendUnaryData, status as GrpcStatus } from "@grpc/grpc-js";
import { InvalidInputError, InvalidOutputError } from "../core/errors.js";
import type { InvokeHeader, InvokeRequest, InvokeResponse } from "../gen/heddle/plugin/v1/invoke.js";
import type { CallControl } from "./calls.js";
import { type InputSource, type InvokeOutcome, announcedInput, checkCall, decodeInput, failed, inputRelease, lastStepName, runCheckedCall } from "./invoke.js";
import { MAX_UNARY_OUTPUT_BYTES } from "./options.js";
import { type PluginRuntime } from "./runtime.js";
import { grpcDeadlineAt, watchClientCancel } from "./call-deadline.js";

/** gRPC handler of PluginService.Invoke. */
export function handleInvoke(
  runtime: PluginRuntime,
  call: ServerUnaryCall<InvokeRequest, InvokeResponse>,
  callback: sendUnaryData<InvokeResponse>,
): void {
  const startedAt = performance.now();
  const header = call.request.header;
  if (!header) {
    callback({ code: GrpcStatus.INVALID_ARGUMENT, details: "InvokeRequest.header is missing: the host must send a header" });
    return;
  }
  if (!runtime.isAccepting) {
    callback({ code: GrpcStatus.UNAVAILABLE, details: "the plugin is shutting down and accepts no new calls" });
    return;
  }
  const deadlineAt = grpcDeadlineAt(call.getDeadline());
  const control = runtime.beginCall(header.callId, header.step, header.timeoutMs, deadlineAt);
  watchClientCancel(call, control, deadlineAt);
  if (runtime.logger.isEnabled("debug")) runtime.logger.debug("call started", { call_id: header.callId, step: header.step });
  void invokeUnary(runtime, header, control, startedAt).then(({ outcome, release }) => {
    control.markAnswered();
    if (runtime.logger.isEnabled("debug")) {
      runtime.logger.debug("call finished", { call_id: header.callId, step: header.step, duration_us: outcome.durationUs, error: outcome.error?.message });
    }
    callback(null, toInvokeResponse(outcome)); // serialised here: the input may go
    release?.();
  });
}

async function invokeUnary(runtime: PluginRuntime, header: InvokeHeader, control: CallControl, startedAt: number): Promise<{ outcome: InvokeOutcome; release?: () => void }> {
  let checked;
  let input;
  try {
    checked = checkCall(runtime, header);
    input = decodeInput(checked.definition, inlineInput(header));
  } catch (err) {
    runtime.calls.end(control);
    return { outcome: failed(err, header.step, "checks", startedAt) };
  }
  const outcome = await runCheckedCall(runtime, checked, input, control, startedAt);
  const release = inputRelease(input, control);
  if (outcome.ipc && outcome.ipc.byteLength > MAX_UNARY_OUTPUT_BYTES) {
    const mib = (outcome.ipc.byteLength / (1024 * 1024)).toFixed(1);
    const producer = lastStepName(checked);
    const tooBig = new InvalidOutputError(
      `the output of "${producer}" is ${mib} MiB, over the 16 MiB limit of a unary Invoke: call this step with InvokeStream (hosts that negotiated "streaming" do so for large outputs)`,
      { component: producer },
    );
    return { outcome: failed(tooBig, producer, "checks", startedAt), release };
  }
  return { outcome, release };
}

/** Where a unary call's input is. Throws for kinds a unary call cannot carry. */
function inlineInput(header: InvokeHeader): InputSource | undefined {
  return announcedInput(header, () => {
    throw new InvalidInputError(`a unary Invoke cannot carry a streamed input: send "${header.step}" through InvokeStream`);
  });
}

/** The proto response of an outcome (inline output, or a segment by handle). */
export function toInvokeResponse(outcome: InvokeOutcome): InvokeResponse {
  const { ipc, shm } = outcome;
  const output: InvokeResponse["output"] = shm
    ? { kind: { $case: "shm", shm } }
    : ipc
      ? { kind: { $case: "inline", inline: { ipc: asBuffer(ipc), numRows: outcome.rows } } }
      : undefined;
  return {
    output,
    error: outcome.error,
    stats: { durationUs: outcome.durationUs, outputRows: outcome.rows, outputBytes: shm?.length ?? ipc?.byteLength ?? 0 },
  };
}

/** A Buffer view of the same bytes (no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
