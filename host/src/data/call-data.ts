// How one call's tables travel (protocol §8.5): the input inline, streamed or
// by handle, and the output read from bytes or mapped from a segment, or
// handed back as a TableRef. The host never reads a forwarded segment's bytes.
import { tableFromIPC, tableToIPC, type Table } from "apache-arrow";
import type { SharedMemoryRef } from "@heddle/sdk/gen/heddle/plugin/v1/data";
import { decodePluginOutput, encodeStreamPieces, type IpcPayload } from "../arrow/ipc.js";
import type { InvokeOutput } from "../rpc/invoke.js";
import type { DataPlane } from "./data-plane.js";
import { SegmentError } from "./errors.js";
import { mapSegmentTable } from "./map-table.js";
import { TableRef } from "./table-ref.js";

/** What `plugin.invoke` accepts as input. */
export type InvokeInput = Table | Uint8Array | TableRef;

/**
 * What `plugin.invoke` returns: a Table (default), a TableRef (`ref`), or the
 * output's Arrow IPC stream bytes undecoded (`ipc`: for forwarding a table
 * without paying for JS Arrow decoding).
 */
export type OutputMode = "table" | "ref" | "ipc";

/** The input as the RPC layer sends it, and what to undo when the call ends. */
export interface PreparedInput {
  input?: IpcPayload;
  inputRef?: SharedMemoryRef;
  inputRows?: number;
  /** Releases the call's hold on a segment it was lent. Never throws. */
  done(): void;
}

/** The call's view of the process it runs on. */
export interface CallSide {
  /** Both sides negotiated `shm` (and the host has a segment folder). */
  shm: boolean;
  /** Holder name of this call in the registry. */
  holder: string;
  /** The plugin process's pid (producer prefix, and holder pid). */
  pid: number;
  plugin: string;
  component: string;
  /** The segment lent to the call as its input, which the plugin may answer with unchanged (§8.2 pass-through). */
  lent?: string;
}

const ARROW_MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"

/** True when `bytes` start like an Arrow IPC file (not a stream). */
export function isIpcFile(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && ARROW_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Chooses how the input travels. A TableRef goes on as the same handle (the
 * call holds the segment until it ends); a large Table or IPC file goes into a
 * new host segment once; everything else is IPC stream bytes.
 */
export function prepareInput(plane: DataPlane | undefined, input: InvokeInput | undefined, side: CallSide): PreparedInput {
  const none = { done: () => undefined };
  if (input === undefined) return none;
  if (input instanceof TableRef) {
    if (!side.shm || !plane) {
      // A peer without shm gets the bytes: map (no copy) and re-encode as a stream.
      const table = input.toTable();
      return { input: encodeStreamPieces(table), inputRows: table.numRows, ...none };
    }
    const ref = input.ref;
    plane.registry.hold(input.id, side.holder, side.pid);
    return { inputRef: ref, done: () => plane.registry.release(input.id, side.holder) };
  }
  if (!side.shm || !plane) {
    return input instanceof Uint8Array ? { input, ...none } : { input: encodeStreamPieces(input), inputRows: input.numRows, ...none };
  }
  // Buffers well under the threshold cannot make an IPC file over it: skip the file encoding.
  const small = !(input instanceof Uint8Array) && tableBytes(input) * 2 < plane.thresholdBytes;
  const fileBytes = input instanceof Uint8Array ? (isIpcFile(input) ? input : undefined) : small ? undefined : tableToIPC(input, "file");
  if (!fileBytes || fileBytes.length < plane.thresholdBytes) {
    if (input instanceof Uint8Array) return { input, ...none };
    return { input: encodeStreamPieces(input), inputRows: input.numRows, ...none };
  }
  const rows = input instanceof Uint8Array ? tableFromIPC(fileBytes).numRows : input.numRows;
  const ref = plane.writeSegment(fileBytes, side.holder, side.pid, rows);
  return { inputRef: ref, done: () => plane.registry.release(ref.segmentId, side.holder) };
}

/** Bytes of a table's Arrow buffers (its IPC size without metadata and padding). */
function tableBytes(table: Table): number {
  return table.data.reduce((n, d) => n + d.byteLength, 0);
}

/** InvokeHeader.shm_output_threshold for a call. */
export function outputThreshold(plane: DataPlane | undefined, side: CallSide, mode: OutputMode): number {
  if (!side.shm || !plane || mode === "ipc") return 0;
  return mode === "ref" ? 1 : plane.thresholdBytes;
}

/**
 * Turns the call's answer into what the caller asked for. A segment is
 * registered (the host owns it now); for `table` it is mapped and freed at
 * once (the mapping stays valid until the Table is collected); for `ref` the
 * caller gets a TableRef. Bytes asked for as `ref` are written to a segment.
 */
export function resolveOutput(plane: DataPlane | undefined, out: InvokeOutput, side: CallSide, mode: OutputMode): Table | TableRef | Uint8Array | null {
  if (out === null) return null;
  if (mode === "ipc" && out instanceof Uint8Array) return out;
  const who = `plugin ${side.plugin} (${side.component})`;
  if (!(out instanceof Uint8Array)) {
    if (!plane) throw new SegmentError("SEGMENT_INVALID", `${who} answered with a segment, but this host has no data plane`);
    const holder = mode === "ref" ? plane.newRefHolder() : `${side.holder}:out`;
    plane.adoptProduced(out.shm, { plugin: side.plugin, pid: side.pid }, holder, who, side.lent);
    if (mode === "ref") return plane.tableRef(out.shm.segmentId, holder);
    try {
      return mapSegmentTable(plane.registry.refFor(out.shm.segmentId), who);
    } finally {
      plane.registry.release(out.shm.segmentId, holder);
    }
  }
  const table = decodePluginOutput(out, side.plugin, side.component);
  if (mode === "table") return table;
  if (!plane) throw new SegmentError("SHM_UNAVAILABLE", `${who}: output "ref" needs shared memory, which this host does not have`);
  const holder = plane.newRefHolder();
  const ref = plane.writeSegment(table, holder);
  return plane.tableRef(ref.segmentId, holder);
}
