// IPC encoding and the ≤ 2 MiB chunking at message boundaries.
import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../src/core/errors.js";
import { chunkIpc, concatChunks, decodeIpc, encodeIpcStream, encodeSchemaOnly, ipcMessageBoundaries } from "../../src/core/ipc.js";

function batchedTable(batches: number, rowsPerBatch: number): arrow.Table {
  const parts = Array.from({ length: batches }, (_, b) => new arrow.Table({ x: arrow.makeVector(Float64Array.from({ length: rowsPerBatch }, (_, i) => b * rowsPerBatch + i)) }));
  return parts.slice(1).reduce((all, part) => all.concat(part), parts[0]!);
}

describe("chunkIpc", () => {
  it("returns a small stream as one chunk and nothing for empty bytes", () => {
    const bytes = encodeIpcStream(batchedTable(1, 10));
    expect(chunkIpc(bytes)).toEqual([bytes]);
    expect(chunkIpc(new Uint8Array(0))).toEqual([]);
  });

  it("cuts at message boundaries, never over the limit, as views of the same bytes", () => {
    const bytes = encodeIpcStream(batchedTable(10, 20_000)); // 10 batches of ~160 KB
    const boundaries = new Set(ipcMessageBoundaries(bytes));
    const chunks = chunkIpc(bytes, 400_000);
    expect(chunks.length).toBeGreaterThan(3);
    let offset = 0;
    for (const chunk of chunks) {
      expect(chunk.byteLength).toBeLessThanOrEqual(400_000);
      expect(chunk.buffer).toBe(bytes.buffer);
      offset += chunk.byteLength;
      expect(boundaries.has(offset)).toBe(true);
    }
    expect(Buffer.compare(Buffer.from(concatChunks(chunks)), Buffer.from(bytes))).toBe(0);
  });

  it("splits a single message larger than the limit into fixed slices", () => {
    const bytes = encodeIpcStream(batchedTable(1, 200_000)); // one 1.6 MB batch
    const chunks = chunkIpc(bytes, 256 * 1024);
    for (const chunk of chunks) expect(chunk.byteLength).toBeLessThanOrEqual(256 * 1024);
    expect(decodeIpc(concatChunks(chunks)).numRows).toBe(200_000);
  });

  it("finds one boundary per message plus the end", () => {
    const bytes = encodeIpcStream(batchedTable(3, 10));
    const ends = ipcMessageBoundaries(bytes);
    expect(ends).toHaveLength(5); // schema + 3 batches, then the end of the stream (after its end-of-stream marker)
    expect(ends[ends.length - 1]).toBe(bytes.byteLength);
    expect(ends[ends.length - 1]! - ends[ends.length - 2]!).toBe(8);
  });
});

describe("decodeIpc", () => {
  it("rejects bytes that are not Arrow IPC with INVALID_INPUT", () => {
    expect(() => decodeIpc(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))).toThrow(InvalidInputError);
    expect(() => decodeIpc(new Uint8Array(0))).toThrow(/empty bytes/);
    expect(() => decodeIpc(new Uint8Array(32))).toThrow(InvalidInputError);
  });

  it("encodes a schema-only stream", () => {
    const schema = new arrow.Schema([new arrow.Field("id", new arrow.Int64(), true)]);
    const decoded = decodeIpc(encodeSchemaOnly(schema));
    expect(decoded.numRows).toBe(0);
    expect(String(decoded.schema.fields[0]!.type)).toBe("Int64");
  });
});
