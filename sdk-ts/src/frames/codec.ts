// The frame lane's wire format (protocol §5.5): an 8-byte preface per
// connection, then frames of a 24-byte little-endian prefix, a protobuf
// message and an optional Arrow IPC payload.

/** The host's first bytes on every frame-lane connection (framing version 1). */
export const PREFACE = Buffer.from("HDLFRM01", "ascii");
/** Bytes before a frame's protobuf message. */
export const PREFIX_BYTES = 24;
/** Frame kinds. */
export const KIND_CALL = 1;
export const KIND_RESULT = 2;
/** The frame-lane socket of a plugin serving gRPC on `socketPath`. */
export const framesSocketPath = (socketPath: string): string => `${socketPath}.frames`;

const TWO_32 = 2 ** 32;

/** The parsed prefix of one frame. */
export interface FramePrefix {
  kind: number;
  callNo: number;
  headerLen: number;
  payloadLen: number;
}

/** Thrown (and turned into a closed connection) when the peer breaks the framing. */
export class FrameProtocolError extends Error {}

/** Prefix + message in one buffer, ready to write before the payload. */
export function encodeFrameHead(kind: number, callNo: number, message: Uint8Array, payloadLen: number): Buffer {
  const head = Buffer.allocUnsafe(PREFIX_BYTES + message.length);
  head.writeUInt32LE(message.length, 0);
  head.writeUInt32LE(kind, 4); // kind in byte 4, bytes 5–7 zero
  head.writeUInt32LE(callNo >>> 0, 8);
  head.writeUInt32LE(0, 12);
  head.writeUInt32LE(payloadLen % TWO_32, 16);
  head.writeUInt32LE(Math.floor(payloadLen / TWO_32), 20);
  head.set(message, PREFIX_BYTES);
  return head;
}

/** Reads the prefix at `offset`. Throws FrameProtocolError when reserved bytes are set or the payload length is absurd. */
export function decodeFramePrefix(buf: Buffer, offset: number): FramePrefix {
  const word1 = buf.readUInt32LE(offset + 4);
  const kind = word1 & 0xff;
  if (word1 >>> 8 !== 0 || buf.readUInt32LE(offset + 12) !== 0) {
    throw new FrameProtocolError("a frame has non-zero reserved bytes (protocol §5.5)");
  }
  const high = buf.readUInt32LE(offset + 20);
  if (high >= 2 ** 21) throw new FrameProtocolError("a frame announces a payload of 2^53 bytes or more");
  return {
    kind,
    callNo: buf.readUInt32LE(offset + 8),
    headerLen: buf.readUInt32LE(offset),
    payloadLen: high * TWO_32 + buf.readUInt32LE(offset + 16),
  };
}
