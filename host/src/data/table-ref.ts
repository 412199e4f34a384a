// TableRef: a caller's handle to a table in a segment. Passing it to
// plugin.invoke forwards the same SharedMemoryRef (no byte is read or copied);
// toTable() maps it zero-copy; release() lets the registry free it.
import type { Table } from "apache-arrow";
import type { SharedMemoryRef } from "@heddle/sdk/gen/heddle/plugin/v1/data";
import { SegmentError } from "./errors.js";
import { mapSegmentTable } from "./map-table.js";
import type { DataLocalityRegistry } from "./registry.js";

/** A handle to a table living in shared memory (or a spill or user file). */
export class TableRef {
  private released = false;
  /** Rows of the table. */
  readonly numRows: number;
  /** Byte length of the Arrow IPC file. */
  readonly byteLength: number;

  /** @internal Built by the host; the registry already lists `holder` on segment `id`. */
  constructor(private readonly registry: DataLocalityRegistry, readonly id: string, private readonly holder: string) {
    const seg = registry.require(id);
    this.numRows = seg.numRows;
    this.byteLength = seg.length;
  }

  /** True once release() was called (or the host closed). */
  get isReleased(): boolean {
    return this.released || this.registry.get(this.id) === undefined;
  }

  /** The current protocol handle (the path changes when the segment spills). SEGMENT_NOT_FOUND once released. */
  get ref(): SharedMemoryRef {
    this.assertLive();
    return this.registry.refFor(this.id, "TableRef");
  }

  /** The table, mapped read-only without copying. SEGMENT_NOT_FOUND once released, SEGMENT_INVALID for bad bytes. */
  toTable(): Table {
    return mapSegmentTable(this.ref, "TableRef.toTable");
  }

  /** Gives the handle back; the segment is freed when nothing else holds it. Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.registry.release(this.id, this.holder);
  }

  private assertLive(): void {
    if (this.released) throw new SegmentError("SEGMENT_NOT_FOUND", `TableRef ${this.id} was released; it cannot be read or passed on any more`);
  }
}
