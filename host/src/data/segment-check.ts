// Cheap checks of a segment handle before the host registers or forwards it:
// the file exists, is long enough, the offset is aligned and the bytes start
// and end with the Arrow IPC file magic. Only 12 bytes are read, never the payload.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { SharedMemoryRef } from "@heddle/sdk/gen/heddle/plugin/v1/data";
import { SegmentError } from "./errors.js";

const MAGIC = Buffer.from("ARROW1");
/** Segment offsets must be multiples of this (protocol §8.1). */
export const SEGMENT_ALIGNMENT = 64;
/** The smallest possible Arrow IPC file: magic+padding, footer length, magic. */
const MIN_IPC_FILE_BYTES = 8 + 4 + 6;

/** Throws SEGMENT_NOT_FOUND or SEGMENT_INVALID when `ref` cannot be an Arrow IPC file. */
export function checkSegmentFile(ref: SharedMemoryRef, who: string): void {
  if (ref.offset % SEGMENT_ALIGNMENT !== 0) {
    throw new SegmentError("SEGMENT_INVALID", `${who}: segment ${ref.segmentId} starts at offset ${ref.offset}, which is not a multiple of ${SEGMENT_ALIGNMENT}`);
  }
  if (ref.length < MIN_IPC_FILE_BYTES) {
    throw new SegmentError("SEGMENT_INVALID", `${who}: segment ${ref.segmentId} is ${ref.length} bytes, too short for an Arrow IPC file`);
  }
  let fd: number;
  try {
    fd = openSync(ref.path, "r");
  } catch (err) {
    throw new SegmentError("SEGMENT_NOT_FOUND", `${who}: segment ${ref.segmentId} has no file at ${ref.path} (${(err as NodeJS.ErrnoException).code})`, { cause: err });
  }
  try {
    const size = fstatSync(fd).size;
    if (size < ref.offset + ref.length) {
      throw new SegmentError("SEGMENT_INVALID", `${who}: segment ${ref.segmentId} is truncated: the file has ${size} bytes, the handle asks for ${ref.offset}..${ref.offset + ref.length}`);
    }
    const head = Buffer.alloc(6);
    const tail = Buffer.alloc(6);
    readSync(fd, head, 0, 6, ref.offset);
    readSync(fd, tail, 0, 6, ref.offset + ref.length - 6);
    if (!head.equals(MAGIC) || !tail.equals(MAGIC)) {
      throw new SegmentError("SEGMENT_INVALID", `${who}: segment ${ref.segmentId} is not a complete Arrow IPC file (no ARROW1 magic at its ${head.equals(MAGIC) ? "end" : "start"})`);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks that a segment a plugin produced is where protocol §8.1 says it must
 * be: `<HEDDLE_SHM_DIR>/<segment_id>.arrow` with the producer's pid as prefix.
 * The host deletes the file when it is freed, so a handle to any other path
 * (e.g. a user's file) is refused with SEGMENT_INVALID.
 */
export function checkProducedPath(ref: SharedMemoryRef, shmDir: string, producerPid: number, who: string): void {
  const okName = basename(ref.path) === `${ref.segmentId}.arrow` && /^[0-9]+-[A-Za-z0-9_-]+$/.test(ref.segmentId);
  if (!okName || resolve(dirname(ref.path)) !== resolve(shmDir)) {
    throw new SegmentError("SEGMENT_INVALID", `${who}: segment ${ref.segmentId} is at ${ref.path}, but produced segments must be <HEDDLE_SHM_DIR>/<segment_id>.arrow (${shmDir})`);
  }
  if (!ref.segmentId.startsWith(`${producerPid}-`)) {
    throw new SegmentError("SEGMENT_INVALID", `${who}: segment id ${ref.segmentId} does not start with the producer's pid ${producerPid}`);
  }
}
