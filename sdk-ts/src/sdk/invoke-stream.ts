// InvokeStream (docs/protocol.md §5.2): header, input chunks, half-close in;
// output chunks (≤ 2 MiB, cut at IPC message boundaries) and one result out.
// With shared memory (§8.2-8.3) the header's input is a segment (no chunks
// follow) and an output over the threshold is a segment: no chunks, the result carries it.
// Checks 1–3 run as soon as the header arrives, so a bad call fails before its
// input is uploaded; the input is gathered whole before the step runs (v1).
import { type ServerDuplexStream, status as GrpcStatus } from "@grpc/grpc-js";
import { InvalidInputError } from "../core/errors.js";
import { chunkIpc, concatChunks } from "../core/ipc.js";
import type { InvokeHeader, InvokeStreamRequest, InvokeStreamResponse } from "../gen/heddle/plugin/v1/invoke.js";
import { grpcDeadlineAt, watchClientCancel } from "./call-deadline.js";
import type { CallControl } from "./calls.js";
import { type CheckedCall, type DecodedInput, type InputSource, type InvokeOutcome, announcedInput, checkCall, decodeInput, failed, inputRelease, runCheckedCall } from "./invoke.js";
import { asBuffer } from "./invoke-unary.js";
import type { PluginRuntime } from "./runtime.js";
import { writeWithBackpressure } from "./stream-write.js";

type StreamCall = ServerDuplexStream<InvokeStreamRequest, InvokeStreamResponse>;

/** gRPC handler of PluginService.InvokeStream. */
export function handleInvokeStream(runtime: PluginRuntime, call: StreamCall): void {
  new StreamInvocation(runtime, call).listen();
}

/** State of one InvokeStream call. */
class StreamInvocation {
  private readonly startedAt = performance.now();
  private header: InvokeHeader | undefined;
  private control: CallControl | undefined;
  private checked: CheckedCall | undefined;
  private readonly chunks: Uint8Array[] = [];
  private pluginCodeStarted = false;
  private answered = false;

  constructor(
    private readonly runtime: PluginRuntime,
    private readonly call: StreamCall,
  ) {}

  listen(): void {
    this.call.on("data", (message: InvokeStreamRequest) => this.onMessage(message));
    this.call.on("end", () => void this.onHalfClose());
    // A broken stream is the host going away: treat it as a cancellation.
    this.call.on("error", () => this.control?.abort("cancelled", "the InvokeStream broke"));
  }

  private onMessage(message: InvokeStreamRequest): void {
    if (this.answered) return; // already failed early: drain and ignore the rest of the upload
    const msg = message.msg;
    if (msg?.$case === "header") {
      if (this.header) {
        this.failEarly(new InvalidInputError(`InvokeStream got a second header for "${this.header.step}": send exactly one header, first`));
        return;
      }
      this.onHeader(msg.header);
    } else if (msg?.$case === "chunk") {
      if (!this.header) {
        this.failEarly(new InvalidInputError("InvokeStream got an input chunk before its header: send the header first"));
        return;
      }
      this.chunks.push(msg.chunk.data);
    }
  }

  private onHeader(header: InvokeHeader): void {
    this.header = header;
    if (!this.runtime.isAccepting) {
      this.answered = true;
      this.call.emit("error", { code: GrpcStatus.UNAVAILABLE, details: "the plugin is shutting down and accepts no new calls" });
      return;
    }
    const deadlineAt = grpcDeadlineAt(this.call.getDeadline());
    const control = this.runtime.beginCall(header.callId, header.step, header.timeoutMs, deadlineAt);
    this.control = control;
    watchClientCancel(this.call, control, deadlineAt);
    // Cancelled or past the deadline while the input is still uploading: answer now.
    void control.aborted.then((reason) => {
      if (!this.pluginCodeStarted) this.failEarly(reason);
    });
    if (this.runtime.logger.isEnabled("debug")) this.runtime.logger.debug("call started", { call_id: header.callId, step: header.step, stream: true });
    try {
      this.checked = checkCall(this.runtime, header);
    } catch (err) {
      this.failEarly(err);
    }
  }

  private async onHalfClose(): Promise<void> {
    if (this.answered) return;
    const header = this.header;
    if (!header || !this.checked || !this.control) {
      this.failEarly(new InvalidInputError("InvokeStream ended without a header: send a header first"));
      return;
    }
    let input: DecodedInput;
    try {
      input = decodeInput(this.checked.definition, this.inputSource(header));
    } catch (err) {
      this.failEarly(err);
      return;
    }
    this.pluginCodeStarted = true;
    const outcome = await runCheckedCall(this.runtime, this.checked, input, this.control, this.startedAt);
    const release = inputRelease(input, this.control);
    await this.answer(outcome); // grpc-js has serialised every message it wrote: the input may go
    release?.();
  }

  private inputSource(header: InvokeHeader): InputSource | undefined {
    const kind = header.input?.kind?.$case;
    if (this.chunks.length > 0 && kind === undefined) {
      throw new InvalidInputError(`InvokeStream for "${header.step}" sent input chunks but its header announces no input: set input to "streamed"`);
    }
    if (this.chunks.length > 0 && kind === "shm") {
      throw new InvalidInputError(`InvokeStream for "${header.step}" sent input chunks but its header's input is a shared-memory segment: send one or the other`);
    }
    return announcedInput(header, () => concatChunks(this.chunks));
  }


  /** Answers with an error raised before plugin code ran, and unregisters the call. */
  private failEarly(err: unknown): void {
    if (this.answered) return;
    if (this.control) this.runtime.calls.end(this.control);
    void this.answer(failed(err, this.header?.step ?? "", "checks", this.startedAt));
  }

  private async answer(outcome: InvokeOutcome): Promise<void> {
    if (this.answered) return;
    this.answered = true;
    const signal = this.control?.signal ?? new AbortController().signal;
    const { ipc, shm } = outcome;
    if (ipc) {
      for (const chunk of chunkIpc(ipc)) {
        await writeWithBackpressure(this.call, { msg: { $case: "chunk", chunk: { data: asBuffer(chunk) } } }, signal);
      }
    }
    const result: InvokeStreamResponse = {
      msg: {
        $case: "result",
        result: {
          output: shm ? { kind: { $case: "shm", shm } } : ipc ? { kind: { $case: "streamed", streamed: { totalBytes: ipc.byteLength } } } : undefined,
          error: outcome.error,
          stats: { durationUs: outcome.durationUs, outputRows: outcome.rows, outputBytes: shm?.length ?? ipc?.byteLength ?? 0 },
        },
      },
    };
    // After the output chunks (whose writes an abort must still be able to unblock).
    this.control?.markAnswered();
    if (!this.call.cancelled) {
      this.call.write(result);
      this.call.end();
    }
    if (this.runtime.logger.isEnabled("debug")) {
      this.runtime.logger.debug("call finished", { call_id: this.header?.callId, step: this.header?.step, stream: true, error: outcome.error?.message });
    }
  }
}
