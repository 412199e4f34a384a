// One frame-lane connection to a plugin process (protocol §5.5): sends call
// frames, matches result frames to waiting calls by call_no, and fails every
// waiting call when the connection breaks or the plugin breaks the framing.
import net from "node:net";
import { InvokeHeader, InvokeResponse } from "@heddle/sdk/gen/heddle/plugin/v1/invoke";
import type { IpcPayload } from "../../arrow/ipc.js";
import { type Frame, FrameProtocolError, FrameReader, KIND_CALL, KIND_RESULT, PREFACE, writeFrame } from "@heddle/sdk/frames";

/** How a waiting call hears back. */
export interface FrameCallback {
  result(response: InvokeResponse, payload: Buffer | undefined): void;
  /** The connection broke before the result came (reason in the message). */
  fail(err: Error): void;
}

export class FrameConnection {
  private readonly waiting = new Map<number, FrameCallback>();
  private nextCallNo = 1;
  private brokenBy?: Error;

  private constructor(private readonly socket: net.Socket) {}

  /**
   * Connects to a plugin's frame socket and sends the preface. Rejects with
   * the socket error (ENOENT, ECONNREFUSED) or a timeout.
   */
  static connect(path: string, timeoutMs: number, onBroken: (err: Error) => void): Promise<FrameConnection> {
    return new Promise((resolve, reject) => {
      let conn: FrameConnection | undefined;
      const reader = new FrameReader((frame) => conn!.onFrame(frame));
      const socket = net.connect({
        path,
        onread: {
          buffer: reader.nextBuffer,
          callback: (n: number) => {
            try {
              reader.onRead(n);
            } catch (err) {
              conn!.breakWith(err as Error);
            }
            return true;
          },
        },
      });
      conn = new FrameConnection(socket);
      const timer = setTimeout(() => socket.destroy(new Error(`no connection to ${path} within ${timeoutMs} ms`)), timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.write(PREFACE);
        resolve(conn!);
      });
      socket.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
        conn!.breakWith(err);
      });
      socket.on("close", () => {
        conn!.breakWith(new Error("the plugin closed the frame connection"));
        onBroken(conn!.brokenBy!);
      });
    });
  }

  /** False once the connection broke or was closed: send calls through gRPC then. */
  get usable(): boolean {
    return this.brokenBy === undefined;
  }

  /** Number of calls waiting for their result. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /**
   * Sends one call frame; `payload` is the input's Arrow IPC stream (bytes or pieces).
   * Returns the call_no (for `forget`). The callback hears exactly once,
   * unless the call is forgotten first. Calls `cb.fail` at once when the
   * connection is already broken.
   */
  call(header: InvokeHeader, payload: IpcPayload | undefined, cb: FrameCallback): number {
    const callNo = this.nextCallNo;
    this.nextCallNo = this.nextCallNo >= 0xffffffff ? 1 : this.nextCallNo + 1;
    if (this.brokenBy) {
      cb.fail(this.brokenBy);
      return callNo;
    }
    this.waiting.set(callNo, cb);
    const pieces = payload === undefined || payload instanceof Uint8Array ? payload : payload.pieces;
    writeFrame(this.socket, KIND_CALL, callNo, InvokeHeader.encode(header).finish(), pieces);
    return callNo;
  }

  /** Stops waiting for a call (cancelled, deadline): its result, if it comes, is discarded. */
  forget(callNo: number): void {
    this.waiting.delete(callNo);
  }

  /** Closes the connection; waiting calls fail. */
  close(): void {
    this.breakWith(new Error("the host closed the frame connection"));
  }

  private onFrame(frame: Frame): void {
    if (frame.kind !== KIND_RESULT) throw new FrameProtocolError(`the plugin sent a frame of kind ${frame.kind}; only results (2) go from plugin to host`);
    let response: InvokeResponse;
    try {
      response = InvokeResponse.decode(frame.message);
    } catch (err) {
      throw new FrameProtocolError(`a result frame does not hold an InvokeResponse: ${(err as Error).message}`);
    }
    const cb = this.waiting.get(frame.callNo);
    if (!cb) return; // forgotten (cancelled or past its deadline)
    this.waiting.delete(frame.callNo);
    cb.result(response, frame.payload);
  }

  private breakWith(err: Error): void {
    if (this.brokenBy) return;
    this.brokenBy = err;
    this.socket.destroy();
    const calls = [...this.waiting.values()];
    this.waiting.clear();
    for (const cb of calls) cb.fail(err);
  }
}
