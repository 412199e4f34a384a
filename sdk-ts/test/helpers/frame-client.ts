// A test client of the frame lane (docs/protocol.md §5.5): connects to a
// plugin's `<socket>.frames`, sends call frames, and matches result frames.
import net from "node:net";
import { once } from "node:events";
import { FrameReader, KIND_CALL, PREFACE, encodeFrameHead } from "../../src/frames/index.js";
import { InvokeHeader, InvokeResponse } from "../../src/gen/heddle/plugin/v1/invoke.js";

/** What a call frame got back. */
export interface FrameResult {
  response: InvokeResponse;
  payload?: Buffer;
  /** Order in which results arrived on this connection (0 = first). */
  arrival: number;
}

export class FrameClient {
  private readonly waiting = new Map<number, (r: FrameResult) => void>();
  private nextCallNo = 1;
  private arrivals = 0;
  /** Resolves when the plugin closes the connection. */
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    const reader = new FrameReader((frame) => {
      const resolve = this.waiting.get(frame.callNo);
      this.waiting.delete(frame.callNo);
      resolve?.({ response: InvokeResponse.decode(frame.message), payload: frame.payload, arrival: this.arrivals++ });
    });
    socket.on("data", (chunk: Buffer) => reader.feed(chunk));
    this.closed = once(socket, "close").then(() => undefined);
    socket.on("error", () => undefined);
  }

  /** Connects to `<socketPath>.frames`; `preface` false skips the preface (to test refusal). */
  static async connect(socketPath: string, preface: Buffer | false = PREFACE): Promise<FrameClient> {
    const socket = net.connect(`${socketPath}.frames`);
    await once(socket, "connect");
    if (preface) socket.write(preface);
    return new FrameClient(socket);
  }

  /** Sends one call frame with `payload` as the input IPC stream. */
  call(header: InvokeHeader, payload?: Uint8Array): Promise<FrameResult> {
    const callNo = this.nextCallNo++;
    const result = new Promise<FrameResult>((resolve) => this.waiting.set(callNo, resolve));
    const head = encodeFrameHead(KIND_CALL, callNo, InvokeHeader.encode(header).finish(), payload?.length ?? 0);
    this.socket.write(head);
    if (payload?.length) this.socket.write(payload);
    return result;
  }

  close(): void {
    this.socket.destroy();
  }
}
