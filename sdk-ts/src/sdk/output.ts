// How a step's output table travels back (docs/protocol.md §8.2, §8.5): as
// Arrow IPC stream bytes (inline or streamed), or, when the host asked for it
// with shm_output_threshold and the IPC file is at least that big, as a new
// segment under HEDDLE_SHM_DIR answered by handle.
import type * as arrow from "apache-arrow";
import { InvalidOutputError } from "../core/errors.js";
import { encodeIpcStream } from "../core/ipc.js";
import { type IpcFilePieces, type SegmentWriter, type WrittenSegment, encodeIpcFilePieces } from "../core/shm-write.js";
import type { StepDefinition } from "../core/step.js";
import type { SharedMemoryRef } from "../gen/heddle/plugin/v1/data.js";

/** The bytes an input table was decoded from, and their IPC format. */
export interface InputBytes {
  ipc: Uint8Array;
  /** `stream` for inline/streamed inputs, `file` for a mapped segment. */
  format: "stream" | "file";
  /** The handle the input came by (a mapped segment). */
  ref?: SharedMemoryRef;
}

/** An encoded output: IPC stream bytes, or a segment written for the host. */
export type EncodedOutput = { ipc: Uint8Array; shm?: undefined } | { shm: WrittenSegment; ipc?: undefined };

/**
 * Encodes `table` for the answer. `input` is given when the step returned its
 * input table unchanged, so its received bytes can be reused instead of a
 * re-encoding (tables are immutable). Throws INVALID_OUTPUT when the table
 * cannot be encoded, SHM_UNAVAILABLE when its segment cannot be written.
 */
export function encodeStepOutput(
  definition: StepDefinition,
  table: arrow.Table,
  input: InputBytes | undefined,
  threshold: number,
  segments: SegmentWriter | undefined,
): EncodedOutput {
  if (threshold > 0 && segments) {
    // Pass-through (§8.2): the unchanged input goes back as the segment it came in.
    if (input?.ref && input.ref.length >= threshold) return { shm: { ...input.ref, numRows: table.numRows } };
    const file = input?.format === "file" ? { pieces: [input.ipc], byteLength: input.ipc.byteLength } : filePieces(definition, table);
    if (file.byteLength >= threshold) return { shm: segments.write(file, table.numRows) };
  }
  if (input?.format === "stream") return { ipc: input.ipc };
  return { ipc: guardEncoding(definition, () => encodeIpcStream(table)) };
}

function filePieces(definition: StepDefinition, table: arrow.Table): IpcFilePieces {
  return guardEncoding(definition, () => encodeIpcFilePieces(table));
}

function guardEncoding<T>(definition: StepDefinition, encode: () => T): T {
  try {
    return encode();
  } catch (err) {
    throw new InvalidOutputError(`the table returned by ${definition.kind} "${definition.name}" cannot be encoded as Arrow IPC: ${(err as Error).message}`, {
      component: definition.name,
      cause: err,
    });
  }
}
