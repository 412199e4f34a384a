// Arrow IPC as a list of pieces: apache-arrow's writers are asked for what they
// would emit (small metadata arrays plus views of the table's own buffers)
// instead of joining it into one new buffer, so a large table can be written
// to a file or socket with writev straight from its buffers: copied once, by
// the kernel. `_write` is the writers' single output point (apache-arrow 21).
import * as arrow from "apache-arrow";

/** Arrow IPC bytes as consecutive pieces (views, not copies). */
export interface IpcPieces {
  pieces: Uint8Array[];
  byteLength: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the mixin pattern requires any[]
export type WriterClass = new (...args: any[]) => arrow.RecordBatchWriter;

/** A writer class that records its output pieces instead of queueing them. */
function collecting<T extends WriterClass>(Base: T) {
  return class extends Base {
    readonly pieces: Uint8Array[] = [];

    protected override _write(chunk: unknown): this {
      if (!this._started || !ArrayBuffer.isView(chunk) || chunk.byteLength === 0) return this;
      this.pieces.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this._position += chunk.byteLength;
      return this;
    }
  };
}

const collectingClasses = new WeakMap<WriterClass, ReturnType<typeof collecting>>();

/**
 * Encodes `table` with `Writer` (a RecordBatchStreamWriter or
 * RecordBatchFileWriter class) as IPC pieces; no buffer of the table is
 * copied. Pass the writer class of the apache-arrow module the table was made
 * with: an ESM caller's Table is not an instance of the CommonJS build's
 * classes, and the writers check `instanceof`. Throws what apache-arrow throws
 * for an unencodable table.
 */
export function encodeIpcPiecesWith(Writer: WriterClass, table: arrow.Table): IpcPieces {
  let Collecting = collectingClasses.get(Writer);
  if (!Collecting) collectingClasses.set(Writer, (Collecting = collecting(Writer)));
  const writer = new Collecting();
  writer.writeAll(table);
  let byteLength = 0;
  for (const piece of writer.pieces) byteLength += piece.byteLength;
  return { pieces: writer.pieces, byteLength };
}

/** encodeIpcPiecesWith for tables of this package's own apache-arrow. */
export function encodeIpcPieces(table: arrow.Table, format: "stream" | "file"): IpcPieces {
  const Writer = format === "stream" ? arrow.RecordBatchStreamWriter : arrow.RecordBatchFileWriter;
  return encodeIpcPiecesWith(Writer as unknown as WriterClass, table);
}

/** The pieces joined into one buffer (one copy; the piece itself when there is one). */
export function joinIpcPieces(ipc: IpcPieces): Uint8Array {
  if (ipc.pieces.length === 1) return ipc.pieces[0]!;
  const out = new Uint8Array(ipc.byteLength);
  let offset = 0;
  for (const piece of ipc.pieces) {
    out.set(piece, offset);
    offset += piece.byteLength;
  }
  return out;
}
