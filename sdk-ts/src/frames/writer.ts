// Writing one whole frame (docs/protocol.md §5.5) to a socket, shared by the
// host's calls and the SDK's results.
import type { Writable } from "node:stream";
import { encodeFrameHead } from "./codec.js";

/** Payloads up to this size are copied into the frame head's buffer: one small write. */
const COALESCE_BYTES = 64 * 1024;

/**
 * Writes prefix, message and payload (whole, or as pieces of one IPC stream)
 * as one frame. Larger payloads go out corked as they are (one writev, no
 * copy); Node queues writes in order, so frames never interleave. `written`
 * runs once the socket no longer needs the payload's memory (flushed, or
 * failed).
 */
export function writeFrame(
  socket: Writable, kind: number, callNo: number, message: Uint8Array, payload?: Uint8Array | readonly Uint8Array[], written?: () => void,
): void {
  const pieces = payload === undefined ? [] : payload instanceof Uint8Array ? [payload] : payload;
  let length = 0;
  for (const piece of pieces) length += piece.byteLength;
  const head = encodeFrameHead(kind, callNo, message, length);
  if (length <= COALESCE_BYTES) {
    socket.write(length ? Buffer.concat([head, ...pieces]) : head, written);
    return;
  }
  socket.cork();
  socket.write(head);
  pieces.forEach((piece, i) => socket.write(piece, i === pieces.length - 1 ? written : undefined));
  socket.uncork();
}
