// The frame lane (docs/protocol.md §5.5): a second Unix socket next to the
// gRPC one, where each call is one frame (InvokeHeader + input IPC payload)
// and each answer one frame (InvokeResponse + output IPC payload). Calls run
// through the same pipeline as gRPC Invoke (checks, fused stages, shm,
// cancellation by call_id), concurrently, answered in any order.
import net from "node:net";
import { rmSync } from "node:fs";
import { HeddleError, InvalidInputError } from "../core/errors.js";
import { type Frame, FrameProtocolError, FrameReader, KIND_CALL, KIND_RESULT, writeFrame } from "../frames/index.js";
import { InvokeHeader, InvokeResponse } from "../gen/heddle/plugin/v1/invoke.js";
import { type DecodedInput, type InputSource, type InvokeOutcome, announcedInput, checkCall, decodeInput, failed, inputRelease, runCheckedCall } from "./invoke.js";
import { toProtoError } from "./proto-error.js";
import type { PluginRuntime } from "./runtime.js";

/** Listens on the frame socket and serves its connections. */
export class FrameServer {
  private readonly server: net.Server;
  private readonly connections = new Set<net.Socket>();
  /** Calls received whose answer is not written yet. */
  private answering = 0;

  constructor(private readonly runtime: PluginRuntime, private readonly socketPath: string) {
    this.server = net.createServer((socket) => this.serveConnection(socket));
  }

  /** Listens (removing a stale socket file first). Rejects with the listen error. */
  listen(): Promise<void> {
    rmSync(this.socketPath, { force: true });
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.socketPath, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
  }

  /**
   * Stops accepting connections, waits (up to `timeoutMs`) for answers still
   * being encoded and for written answers to be flushed, then closes the
   * connections and removes the socket file. Never throws.
   */
  async close(timeoutMs = 1000): Promise<void> {
    this.server.close();
    const until = Date.now() + timeoutMs;
    while (this.answering > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    await Promise.all([...this.connections].map((socket) => new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, Math.max(0, until - Date.now()));
      socket.end(() => {
        clearTimeout(timer);
        resolve();
      });
    })));
    rmSync(this.socketPath, { force: true });
  }

  private serveConnection(socket: net.Socket): void {
    this.connections.add(socket);
    socket.on("close", () => this.connections.delete(socket));
    socket.on("error", (err) => this.runtime.logger.debug("frame connection failed", { error: err.message }));
    const reader = new FrameReader((frame) => this.onFrame(socket, frame), true);
    // Server-side sockets cannot read into caller buffers (no `onread`): each
    // chunk is copied once into the reader's buffers (a payload into its own).
    socket.on("data", (chunk: Buffer) => {
      try {
        reader.feed(chunk);
      } catch (err) {
        this.protocolError(socket, err as Error);
      }
    });
  }

  private onFrame(socket: net.Socket, frame: Frame): void {
    if (frame.kind !== KIND_CALL) throw new FrameProtocolError(`the host sent a frame of kind ${frame.kind}; only calls (1) go from host to plugin`);
    let header: InvokeHeader;
    try {
      header = InvokeHeader.decode(frame.message);
    } catch (err) {
      throw new FrameProtocolError(`a call frame does not hold an InvokeHeader: ${(err as Error).message}`);
    }
    this.answering++;
    void answer(this.runtime, header, frame.payload).then(({ response, payload, release }) => {
      this.answering--;
      if (!socket.destroyed) writeFrame(socket, KIND_RESULT, frame.callNo, InvokeResponse.encode(response).finish(), payload, release);
      else release?.();
    });
  }

  private protocolError(socket: net.Socket, err: Error): void {
    this.runtime.logger.warn("closing a frame connection that broke the protocol", { error: err.message });
    socket.destroy();
  }
}

/** Runs one call and builds its answer. Never throws. */
async function answer(runtime: PluginRuntime, header: InvokeHeader, payload: Buffer | undefined): Promise<{ response: InvokeResponse; payload?: Uint8Array; release?: () => void }> {
  const startedAt = performance.now();
  if (!runtime.isAccepting) {
    const refused = new HeddleError("PLUGIN_UNAVAILABLE", "the plugin is shutting down and accepts no new calls");
    return { response: { error: toProtoError(refused, "PLUGIN_UNAVAILABLE", header.step, "checks"), output: undefined, stats: undefined } };
  }
  const control = runtime.beginCall(header.callId, header.step, header.timeoutMs, Infinity);
  let outcome: InvokeOutcome;
  let input: DecodedInput | undefined;
  try {
    const checked = checkCall(runtime, header);
    input = decodeInput(checked.definition, inputOf(header, payload));
    outcome = await runCheckedCall(runtime, checked, input, control, startedAt);
  } catch (err) {
    runtime.calls.end(control);
    outcome = failed(err, header.step, "checks", startedAt);
  }
  const release = inputRelease(input, control);
  control.markAnswered();
  const { ipc, shm } = outcome;
  const stats = { durationUs: outcome.durationUs, outputRows: outcome.rows, outputBytes: shm?.length ?? ipc?.byteLength ?? 0 };
  if (outcome.error) return { response: { error: outcome.error, output: undefined, stats }, release };
  if (shm) return { response: { output: { kind: { $case: "shm", shm } }, error: undefined, stats }, release };
  // The payload may be views of the input segment: it is released once written.
  if (ipc) return { response: { output: { kind: { $case: "streamed", streamed: { totalBytes: ipc.byteLength } } }, error: undefined, stats }, payload: ipc, release };
  return { response: { output: undefined, error: undefined, stats }, release };
}

/** Where a frame call's input is. Throws INVALID_INPUT for a payload the header does not announce as `streamed`. */
function inputOf(header: InvokeHeader, payload: Buffer | undefined): InputSource | undefined {
  const kind = header.input?.kind;
  if (payload?.length && kind?.$case !== "streamed") {
    throw new InvalidInputError(
      `the call frame of "${header.step}" carries a payload but its header announces the input as ${kind?.$case ?? "absent"}: send the input as header.input.streamed with the IPC bytes as payload`,
    );
  }
  return announcedInput(header, () => {
    if (!payload?.length) throw new InvalidInputError(`the input of "${header.step}" was announced as streamed but the call frame has no payload`);
    return payload;
  });
}
