// Cuts an Arrow IPC stream into TableChunk payloads of at most 2 MiB, at
// message boundaries where possible (protocol §5.2), so a receiver can decode
// batch by batch. A single message larger than a chunk is sliced.
import { CHUNK_BYTES } from "../options.js";

const CONTINUATION = 0xffffffff;

/**
 * Byte offsets where each IPC message of `ipc` ends. Stops (returning what it
 * found) at anything it cannot parse; the remaining bytes are then sliced blindly.
 */
export function ipcMessageEnds(ipc: Uint8Array): number[] {
  const view = new DataView(ipc.buffer, ipc.byteOffset, ipc.byteLength);
  const ends: number[] = [];
  let pos = 0;
  while (pos + 4 <= ipc.length) {
    let metaLen = view.getUint32(pos, true);
    let headerLen = 4;
    if (metaLen === CONTINUATION) {
      if (pos + 8 > ipc.length) break;
      metaLen = view.getUint32(pos + 4, true);
      headerLen = 8;
    }
    if (metaLen === 0) {
      ends.push(pos + headerLen); // end-of-stream marker
      break;
    }
    const metaStart = pos + headerLen;
    if (metaStart + metaLen > ipc.length) break;
    const body = messageBodyLength(view, metaStart);
    if (body === undefined) break;
    const end = metaStart + metaLen + body;
    if (end > ipc.length) break;
    ends.push(end);
    pos = end;
  }
  return ends;
}

/** Reads Message.bodyLength (field 3, int64) from the flatbuffer at `start`. */
function messageBodyLength(view: DataView, start: number): number | undefined {
  try {
    const table = start + view.getUint32(start, true);
    const vtable = table - view.getInt32(table, true);
    const vtableSize = view.getUint16(vtable, true);
    const slot = 4 + 3 * 2;
    if (slot + 2 > vtableSize) return 0;
    const offset = view.getUint16(vtable + slot, true);
    if (offset === 0) return 0;
    return Number(view.getBigInt64(table + offset, true));
  } catch {
    return undefined;
  }
}

/** Splits `ipc` into consecutive slices of at most `maxBytes` (default 2 MiB). Concatenated they equal `ipc`. */
export function splitIpcIntoChunks(ipc: Uint8Array, maxBytes = CHUNK_BYTES): Uint8Array[] {
  const boundaries = ipcMessageEnds(ipc).filter((e) => e < ipc.length);
  const chunks: Uint8Array[] = [];
  let start = 0;
  let i = 0;
  while (start < ipc.length) {
    // Take as many whole messages as fit; if even one does not, slice it at maxBytes.
    let end = start;
    while (i < boundaries.length && boundaries[i]! - start <= maxBytes) end = boundaries[i++]!;
    if (end === start) end = Math.min(start + maxBytes, ipc.length);
    if (i >= boundaries.length && ipc.length - start <= maxBytes) end = ipc.length;
    chunks.push(ipc.subarray(start, end));
    while (i < boundaries.length && boundaries[i]! <= end) i++;
    start = end;
  }
  return chunks;
}
