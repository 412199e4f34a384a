// Consuming shared-memory segments (docs/protocol.md §8.3): map the Arrow IPC
// file a SharedMemoryRef names read-only through @heddle/native (Node has no
// mmap) and decode it in place. apache-arrow builds its vectors as views of the
// mapping, so no payload byte is copied; the mapping is unmapped when the last
// view is garbage-collected, which is why nothing here keeps a reference past the call.
import * as arrow from "apache-arrow";
import { HeddleError, SegmentInvalidError, SegmentNotFoundError, ShmUnavailableError } from "./errors.js";

/** The fields of a SharedMemoryRef this module reads (the generated type fits). */
export interface SegmentHandle {
  segmentId: string;
  path: string;
  offset: number;
  length: number;
}

/** Offsets of segments must be multiples of this (protocol §8.1). */
export const SEGMENT_ALIGNMENT = 64;

/** The magic at both ends of an Arrow IPC file. */
const ARROW_MAGIC = "ARROW1";

/** Smallest possible IPC file: magic + padding, footer length, magic. */
const MIN_IPC_FILE_BYTES = 8 + 4 + ARROW_MAGIC.length;

type NativeModule = typeof import("@heddle/native");
let nativeModule: NativeModule | undefined;
let nativeFailure: Error | undefined;

/**
 * The @heddle/native addon, loaded on first use so that the SDK still serves
 * (without `shm`) where the addon is not built. Throws ShmUnavailableError then.
 */
export function loadNative(): NativeModule {
  if (nativeModule) return nativeModule;
  if (!nativeFailure) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      nativeModule = require("@heddle/native") as NativeModule;
      return nativeModule;
    } catch (err) {
      nativeFailure = err as Error;
    }
  }
  throw new ShmUnavailableError(`shared memory is not available in this plugin: ${nativeFailure!.message}`, { cause: nativeFailure });
}

/** True when the native addon loads (the plugin can map segments). */
export function nativeAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}

/**
 * Maps the segment's IPC file bytes read-only, after checking the handle.
 * Throws SegmentNotFoundError (no such file), SegmentInvalidError (misaligned
 * offset, too short, no ARROW1 magic at either end) or ShmUnavailableError (mmap failed).
 */
export function mapSegment(handle: SegmentHandle): Uint8Array {
  const name = describeHandle(handle);
  if (!handle.path) throw new SegmentInvalidError(`${name} has no path: the producer must name the segment's file`);
  if (handle.offset % SEGMENT_ALIGNMENT !== 0) {
    throw new SegmentInvalidError(`${name} starts at offset ${handle.offset}, not a multiple of ${SEGMENT_ALIGNMENT}: the producer must align the IPC file`);
  }
  if (handle.length < MIN_IPC_FILE_BYTES) {
    throw new SegmentInvalidError(`${name} is ${handle.length} bytes, too short for an Arrow IPC file (at least ${MIN_IPC_FILE_BYTES})`);
  }
  let mapped: ArrayBuffer;
  try {
    mapped = loadNative().mapReadOnly(handle.path, handle.offset, handle.length);
  } catch (err) {
    throw fromNativeError(err, name);
  }
  const bytes = new Uint8Array(mapped);
  if (!hasMagic(bytes, 0) || !hasMagic(bytes, bytes.byteLength - ARROW_MAGIC.length)) {
    throw new SegmentInvalidError(`${name} does not hold an Arrow IPC file (no ${ARROW_MAGIC} magic at its start and end): write the segment with an Arrow IPC file writer`);
  }
  return bytes;
}

/**
 * Decodes mapped IPC file bytes in place: the table's buffers are views of
 * `bytes`. Throws SegmentInvalidError when they do not decode.
 */
export function decodeSegment(bytes: Uint8Array, handle: SegmentHandle): arrow.Table {
  try {
    return arrow.tableFromIPC(bytes);
  } catch (err) {
    throw new SegmentInvalidError(`${describeHandle(handle)} is not a decodable Arrow IPC file (${(err as Error).message})`, { cause: err });
  }
}

/** Maps and decodes a segment; the errors of mapSegment and decodeSegment. */
export function readSegment(handle: SegmentHandle): { table: arrow.Table; bytes: Uint8Array } {
  const bytes = mapSegment(handle);
  return { table: decodeSegment(bytes, handle), bytes };
}

/**
 * Unmaps a segment's bytes now: every view of them becomes empty. Without
 * this a mapping lives until the garbage collector finds it, and V8 answers
 * large external buffers with back-to-back full collections (a 100 MiB input
 * by handle cost ~4 ms per call, most of it GC). Never throws: what cannot be
 * released is left to the collector.
 */
export function releaseSegmentBytes(bytes: Uint8Array): void {
  try {
    loadNative().release(bytes.buffer as ArrayBuffer);
  } catch {
    // no addon, or not a mapping: the collector unmaps it
  }
}

function hasMagic(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < ARROW_MAGIC.length; i++) if (bytes[at + i] !== ARROW_MAGIC.charCodeAt(i)) return false;
  return true;
}

function describeHandle(handle: SegmentHandle): string {
  return `segment "${handle.segmentId}" (${handle.path || "no path"}, offset ${handle.offset}, ${handle.length} bytes)`;
}

/** The addon's errors carry a Heddle code; give them the segment's name and a hint. */
function fromNativeError(err: unknown, name: string): HeddleError {
  const code = (err as { code?: string }).code;
  const detail = (err as Error).message;
  if (code === "SEGMENT_NOT_FOUND") {
    return new SegmentNotFoundError(`${name} does not exist (${detail}): it was freed or never written; ask the producer for a live segment`, { cause: err });
  }
  if (code === "SEGMENT_INVALID") return new SegmentInvalidError(`${name} is invalid: ${detail}`, { cause: err });
  if (err instanceof HeddleError) return err;
  return new ShmUnavailableError(`cannot map ${name}: ${detail}`, { cause: err });
}
