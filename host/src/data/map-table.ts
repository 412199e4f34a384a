// Reads a segment as an Arrow Table without copying: @heddle/native maps the
// bytes read-only (unmapped when the last view is collected) and apache-arrow
// builds its vectors as views over that mapping.
import { createRequire } from "node:module";
import { tableFromIPC, type Table } from "apache-arrow";
import type { SharedMemoryRef } from "@heddle/sdk/gen/heddle/plugin/v1/data";
import { SegmentError, fromNativeError } from "./errors.js";
import { checkSegmentFile } from "./segment-check.js";

interface NativeShm {
  mapReadOnly(path: string, offset: number, length: number): ArrayBuffer;
  createSegment(path: string, length: number): ArrayBuffer;
}

let native: NativeShm | undefined;

/** The @heddle/native addon, loaded on first use. Throws SHM_UNAVAILABLE when it is not built. */
export function nativeShm(): NativeShm {
  if (native) return native;
  try {
    native = createRequire(import.meta.url)("@heddle/native") as NativeShm;
    return native;
  } catch (err) {
    throw fromNativeError(err, "cannot load @heddle/native");
  }
}

/** Maps the handle's bytes read-only. SEGMENT_NOT_FOUND / SEGMENT_INVALID / SHM_UNAVAILABLE. */
export function mapSegmentBytes(ref: SharedMemoryRef, who: string): Uint8Array {
  try {
    return new Uint8Array(nativeShm().mapReadOnly(ref.path, ref.offset, ref.length));
  } catch (err) {
    if (err instanceof SegmentError) throw err;
    throw fromNativeError(err, `${who}: cannot map segment ${ref.segmentId}`);
  }
}

/** The segment as a Table over the mapping. Checks the file first; undecodable bytes → SEGMENT_INVALID. */
export function mapSegmentTable(ref: SharedMemoryRef, who: string): Table {
  checkSegmentFile(ref, who);
  const bytes = mapSegmentBytes(ref, who);
  try {
    const table = tableFromIPC(bytes);
    // Touch the last row of each column so a corrupt footer fails here, not later in the caller.
    for (const field of table.schema.fields) table.getChild(field.name)?.get(Math.max(0, table.numRows - 1));
    return table;
  } catch (err) {
    throw new SegmentError("SEGMENT_INVALID", `${who}: segment ${ref.segmentId} does not decode as an Arrow IPC file: ${(err as Error).message}`, { cause: err });
  }
}
