// Incremental frame parser for a socket read with `onread` (docs/protocol.md §5.5).
// Small frames are parsed out of one reusable scratch buffer; a large payload
// is read by the kernel straight into its own buffer, so the bytes of a big
// table are copied once (socket → payload), never gathered and concatenated.
import { type FramePrefix, FrameProtocolError, PREFACE, PREFIX_BYTES, decodeFramePrefix } from "./codec.js";

/** One received frame. `message` and `payload` are owned by the receiver. */
export interface Frame extends FramePrefix {
  message: Buffer;
  payload?: Buffer;
}

const SCRATCH_BYTES = 256 * 1024;

export class FrameReader {
  private scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  /** Unparsed bytes are scratch[start, end). */
  private start = 0;
  private end = 0;
  /** A frame whose payload is being read directly into `payload`. */
  private partial?: { frame: Frame; payload: Buffer; filled: number };

  /** True until the connection's preface was read (plugin side only). */
  private prefacePending: boolean;

  /**
   * `onFrame` gets each whole frame; a FrameProtocolError it or the parser
   * throws goes to the socket's owner. `expectPreface`: the connection starts
   * with PREFACE (the plugin's side of a connection).
   */
  constructor(private readonly onFrame: (frame: Frame) => void, expectPreface = false) {
    this.prefacePending = expectPreface;
  }

  /** `onread.buffer`: where the next read goes. Never empty (libuv fails a read into 0 bytes). */
  nextBuffer = (): Buffer => {
    const p = this.partial;
    if (p) return p.payload.subarray(p.filled);
    if (this.start === this.end) this.start = this.end = 0;
    if (this.end === this.scratch.length) this.makeRoom();
    return this.scratch.subarray(this.end);
  };

  /** `onread.callback`: `n` bytes landed in the buffer nextBuffer() gave. Throws FrameProtocolError. */
  onRead = (n: number): void => {
    const p = this.partial;
    if (p) {
      p.filled += n;
      if (p.filled < p.payload.length) return;
      this.partial = undefined;
      this.onFrame({ ...p.frame, payload: p.payload });
      return;
    }
    this.end += n;
    this.parse();
  };

  /**
   * Hands a chunk received with 'data' events to the reader, in as many
   * pieces as its buffers take (one copy; `onread` sockets avoid even that).
   * Throws FrameProtocolError.
   */
  feed(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      const target = this.nextBuffer();
      const n = Math.min(target.length, chunk.length - offset);
      chunk.copy(target, 0, offset, offset + n);
      offset += n;
      this.onRead(n);
    }
  }

  private parse(): void {
    if (this.prefacePending) {
      if (this.end - this.start < PREFACE.length) return;
      if (!this.scratch.subarray(this.start, this.start + PREFACE.length).equals(PREFACE)) {
        throw new FrameProtocolError("the connection does not start with the HDLFRM01 preface (protocol §5.5)");
      }
      this.start += PREFACE.length;
      this.prefacePending = false;
    }
    while (this.end - this.start >= PREFIX_BYTES) {
      const prefix = decodeFramePrefix(this.scratch, this.start);
      const bodyStart = this.start + PREFIX_BYTES;
      const payloadStart = bodyStart + prefix.headerLen;
      if (payloadStart > this.end) {
        // The message is not all here yet; make sure it will fit.
        if (PREFIX_BYTES + prefix.headerLen > this.scratch.length) this.grow(PREFIX_BYTES + prefix.headerLen);
        return;
      }
      // Copied: protobuf decoding keeps views of bytes fields, and the scratch is reused.
      const frame: Frame = { ...prefix, message: Buffer.from(this.scratch.subarray(bodyStart, payloadStart)) };
      if (prefix.payloadLen === 0) {
        this.start = payloadStart;
        this.onFrame(frame);
        continue;
      }
      const payload = Buffer.allocUnsafe(prefix.payloadLen);
      const have = Math.min(this.end - payloadStart, prefix.payloadLen);
      this.scratch.copy(payload, 0, payloadStart, payloadStart + have);
      this.start = payloadStart + have;
      if (have === prefix.payloadLen) {
        this.onFrame({ ...frame, payload });
        continue;
      }
      // Everything buffered belonged to this payload: read the rest in place.
      this.start = this.end = 0;
      this.partial = { frame, payload, filled: have };
      return;
    }
  }

  /** Moves unparsed bytes to the front, or grows the scratch when they fill it. */
  private makeRoom(): void {
    if (this.start === 0) {
      this.grow(this.scratch.length * 2);
      return;
    }
    this.scratch.copy(this.scratch, 0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
  }

  private grow(min: number): void {
    if (min > 64 * 1024 * 1024) throw new FrameProtocolError(`a frame's message is ${min} bytes; messages over 64 MiB belong in the payload`);
    const next = Buffer.allocUnsafeSlow(Math.max(min, this.scratch.length * 2));
    this.scratch.copy(next, 0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
    this.scratch = next;
  }
}
