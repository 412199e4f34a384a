// Arrow IPC stream encode/decode for tables crossing the plugin boundary,
// with validation of what a plugin sends back (bad IPC → INVALID_OUTPUT).
import { RecordBatchReader, RecordBatchStreamWriter, Table, tableToIPC, type RecordBatch } from "apache-arrow";
import { type IpcPieces, type WriterClass, encodeIpcPiecesWith, joinIpcPieces } from "@heddle/sdk/ipc-pieces";
import { PluginCallError } from "../errors.js";

/** A table as callers give it: an Arrow Table, or Arrow IPC bytes (stream or file format). */
export type TableInput = Table | Uint8Array;

/** Encodes a call input as IPC stream bytes. Uint8Array input is passed through as is (the plugin validates it). */
export function encodeTable(input: TableInput): Uint8Array {
  return input instanceof Uint8Array ? input : tableToIPC(input, "stream");
}

/** IPC stream bytes, whole or as pieces (views of a table's buffers, see @heddle/sdk/ipc-pieces). */
export type IpcPayload = Uint8Array | IpcPieces;

/** A table as IPC stream pieces (views of its buffers: nothing is copied until they are written). */
export function encodeStreamPieces(table: Table): IpcPieces {
  return encodeIpcPiecesWith(RecordBatchStreamWriter as unknown as WriterClass, table);
}

/** Byte length of a payload. */
export function payloadLength(payload: IpcPayload): number {
  return payload instanceof Uint8Array ? payload.length : payload.byteLength;
}

/** A payload as one buffer (joining pieces copies them once). */
export function payloadBytes(payload: IpcPayload): Uint8Array {
  return payload instanceof Uint8Array ? payload : joinIpcPieces(payload);
}

/** Concatenates chunks of one IPC stream. */
export function concatChunks(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks);
}

/**
 * Decodes IPC bytes (stream or file format) into a Table, checking that they
 * hold a schema and only well-formed messages. Throws Error with the reason.
 */
export function decodeTableStrict(bytes: Uint8Array): Table {
  if (bytes.length === 0) throw new Error("the IPC stream is empty (no schema message)");
  const reader = RecordBatchReader.from(bytes);
  reader.open();
  // Read the schema before iterating: the stream reader forgets it once it reaches the end.
  const schema = reader.schema;
  if (!schema) throw new Error("the IPC stream has no schema message");
  const batches: RecordBatch[] = [];
  for (const batch of reader) batches.push(batch);
  const table = new Table(schema, batches);
  // Touch every column once so truncated buffers fail here, not in the caller.
  for (const field of schema.fields) table.getChild(field.name)?.get(Math.max(0, table.numRows - 1));
  return table;
}

/** Decodes a plugin's output; anything malformed becomes INVALID_OUTPUT naming the plugin and step. */
export function decodePluginOutput(bytes: Uint8Array, plugin: string, component: string): Table {
  try {
    return decodeTableStrict(bytes);
  } catch (err) {
    throw new PluginCallError("INVALID_OUTPUT", `plugin ${plugin} returned bytes for ${component} that are not a valid Arrow IPC stream: ${(err as Error).message}`, {
      plugin, component, cause: err, hint: "the step must return a table; if it does, this is a bug in the plugin's SDK",
    });
  }
}
