// Arrow IPC stream encoding and decoding for the wire (docs/protocol.md §8),
// and cutting an IPC stream into TableChunks of at most 2 MiB at message
// boundaries, so a receiver may decode batch by batch. Chunks are views into
// the encoded bytes: cutting never copies.
import * as arrow from "apache-arrow";
import { InvalidInputError } from "./errors.js";

/** Largest TableChunk the protocol allows (2 MiB). */
export const MAX_CHUNK_BYTES = 2 * 1024 * 1024;

/** Encodes a table as Arrow IPC *stream* bytes (schema, batches, end-of-stream marker). */
export function encodeIpcStream(table: arrow.Table): Uint8Array {
  return arrow.tableToIPC(table, "stream");
}

/**
 * Decodes Arrow IPC stream (or file) bytes into a table. Buffers are read in
 * place when aligned. Throws InvalidInputError (INVALID_INPUT) when the bytes
 * are not Arrow IPC.
 */
export function decodeIpc(bytes: Uint8Array, what = "input"): arrow.Table {
  if (bytes.byteLength === 0) {
    throw new InvalidInputError(`the ${what} table is empty bytes, not Arrow IPC: send an Arrow IPC stream`);
  }
  let table: arrow.Table;
  try {
    table = arrow.tableFromIPC(bytes);
  } catch (err) {
    throw new InvalidInputError(`the ${what} table is not valid Arrow IPC (${(err as Error).message}): send an Arrow IPC stream`, { cause: err });
  }
  // Bytes that start like an end-of-stream marker decode to a table with no schema at all.
  if (table.schema.fields.length === 0 && table.batches.length === 0 && bytes.byteLength > 8) {
    throw new InvalidInputError(`the ${what} table is not valid Arrow IPC (no schema message found): send an Arrow IPC stream`);
  }
  return table;
}

/**
 * The byte offsets in an IPC stream where each encapsulated message ends (the
 * last one is the stream length). Used to cut chunks at message boundaries.
 * Bytes it cannot frame are treated as one opaque message.
 */
export function ipcMessageBoundaries(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ends: number[] = [];
  let pos = 0;
  while (pos + 4 <= bytes.byteLength) {
    let metadataLength = view.getInt32(pos, true);
    let headerStart = pos + 4;
    if (metadataLength === -1) {
      if (pos + 8 > bytes.byteLength) break;
      metadataLength = view.getInt32(pos + 4, true);
      headerStart = pos + 8;
    }
    if (metadataLength === 0) break; // end-of-stream marker: the stream's end is the last boundary
    const headerEnd = headerStart + metadataLength;
    if (metadataLength < 0 || headerEnd > bytes.byteLength) break;
    let bodyLength: number;
    try {
      bodyLength = Number(arrow.Message.decode(bytes.subarray(headerStart, headerEnd)).bodyLength);
    } catch {
      break;
    }
    pos = headerEnd + bodyLength;
    if (pos > bytes.byteLength) break;
    ends.push(pos);
  }
  if (ends[ends.length - 1] !== bytes.byteLength) ends.push(bytes.byteLength);
  return ends;
}

/**
 * Cuts IPC bytes into consecutive slices of at most `maxBytes`, preferring
 * message boundaries; a single message larger than `maxBytes` is split into
 * fixed-size slices. The slices are views (no copy) and concatenate back to `bytes`.
 */
export function chunkIpc(bytes: Uint8Array, maxBytes = MAX_CHUNK_BYTES): Uint8Array[] {
  if (bytes.byteLength <= maxBytes) return bytes.byteLength === 0 ? [] : [bytes];
  const chunks: Uint8Array[] = [];
  let start = 0;
  let lastBoundary = 0;
  for (const end of ipcMessageBoundaries(bytes)) {
    if (end - start <= maxBytes) {
      lastBoundary = end;
      continue;
    }
    if (lastBoundary > start) {
      chunks.push(bytes.subarray(start, lastBoundary));
      start = lastBoundary;
    }
    while (end - start > maxBytes) {
      chunks.push(bytes.subarray(start, start + maxBytes));
      start += maxBytes;
    }
    lastBoundary = end;
  }
  if (start < bytes.byteLength) chunks.push(bytes.subarray(start));
  return chunks;
}

/** Joins received chunks into one buffer (a single chunk is returned as is). */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks);
}

/**
 * Arrow IPC stream bytes holding only a schema message (what the manifest's
 * input_schema / output_schema carry).
 */
export function encodeSchemaOnly(schema: arrow.Schema): Uint8Array {
  return arrow.tableToIPC(new arrow.Table(schema), "stream");
}
