// Shared-memory segments in process: writing an IPC file from its pieces,
// mapping it back without a copy, and every bad handle's error code. Files
// live in a private folder under /dev/shm, removed at the end.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { HeddleError } from "../../src/core/errors.js";
import { mapSegment, readSegment } from "../../src/core/shm.js";
import { SegmentWriter, encodeIpcFilePieces, segmentDirFromEnv } from "../../src/core/shm-write.js";

const dir = mkdtempSync("/dev/shm/hsdk-unit-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sample = () =>
  new arrow.Table({
    id: arrow.makeVector(BigInt64Array.from({ length: 1000 }, (_, i) => BigInt(i))),
    name: arrow.vectorFromArray(Array.from({ length: 1000 }, (_, i) => (i % 7 === 0 ? null : `n${i}`)), new arrow.Utf8()),
    flag: arrow.vectorFromArray(Array.from({ length: 1000 }, (_, i) => i % 2 === 0), new arrow.Bool()),
  });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HeddleError);
    return (err as HeddleError).code;
  }
  return undefined;
}

describe("writing segments", () => {
  it("writes exactly the bytes of apache-arrow's IPC file, named <pid>-<counter>.arrow", () => {
    const table = sample();
    const pieces = encodeIpcFilePieces(table);
    const written = new SegmentWriter(dir).write(pieces, table.numRows);
    expect(written.segmentId).toMatch(new RegExp(`^${process.pid}-\\d+$`));
    expect(written).toMatchObject({ path: join(dir, `${written.segmentId}.arrow`), offset: 0, numRows: 1000 });
    expect(Buffer.compare(readFileSync(written.path), Buffer.from(arrow.tableToIPC(table, "file")))).toBe(0);
    expect(written.length).toBe(pieces.byteLength);
  });

  it("takes the payload pieces as views of the table's own buffers (no copy before the write)", () => {
    const values = new Float64Array(4096).fill(2.5);
    const pieces = encodeIpcFilePieces(new arrow.Table({ x: arrow.makeVector(values) }));
    expect(pieces.pieces.some((piece) => piece.buffer === values.buffer)).toBe(true);
  });

  it("never reuses a name, across writers and over files already there", () => {
    const first = new SegmentWriter(dir).write(encodeIpcFilePieces(sample()), 1000);
    const next = Number(first.segmentId.split("-")[1]) + 1;
    writeFileSync(join(dir, `${process.pid}-${next}.arrow`), "left by a crashed process with our pid");
    const second = new SegmentWriter(dir).write(encodeIpcFilePieces(sample()), 1000);
    expect(second.segmentId).toBe(`${process.pid}-${next + 1}`);
  });

  it("offers a folder only when HEDDLE_SHM_DIR is set, a folder and writable", () => {
    expect(segmentDirFromEnv({ HEDDLE_SHM_DIR: dir })).toBe(dir);
    expect(segmentDirFromEnv({})).toBeUndefined();
    expect(segmentDirFromEnv({ HEDDLE_SHM_DIR: join(dir, "missing") })).toBeUndefined();
    writeFileSync(join(dir, "plain-file"), "x");
    expect(segmentDirFromEnv({ HEDDLE_SHM_DIR: join(dir, "plain-file") })).toBeUndefined();
  });

  it("fails with SHM_UNAVAILABLE when the folder is gone", () => {
    const gone = new SegmentWriter(join(dir, "gone"));
    expect(codeOf(() => gone.write(encodeIpcFilePieces(sample()), 1000))).toBe("SHM_UNAVAILABLE");
  });
});

describe("reading segments", () => {
  it("decodes a mapped segment in place: column buffers are views of the mapping", () => {
    const table = sample();
    const written = new SegmentWriter(dir).write(encodeIpcFilePieces(table), table.numRows);
    const { table: read, bytes } = readSegment(written);
    expect(read.numRows).toBe(1000);
    expect(read.getChild("name")!.get(8)).toBe("n8");
    expect(read.getChild("name")!.get(7)).toBeNull();
    expect(read.getChild("id")!.get(999)).toBe(999n);
    expect(read.getChild("flag")!.get(3)).toBe(false);
    expect(read.getChild("id")!.data[0]!.values.buffer).toBe(bytes.buffer);
    expect(read.getChild("name")!.data[0]!.values.buffer).toBe(bytes.buffer);
  });

  it("reads a segment at a 64-byte offset inside a bigger file", () => {
    const ipc = arrow.tableToIPC(sample(), "file");
    const path = join(dir, "offset.arrow");
    writeFileSync(path, Buffer.concat([Buffer.alloc(128, 7), Buffer.from(ipc), Buffer.alloc(10)]));
    const { table } = readSegment({ segmentId: "t-offset", path, offset: 128, length: ipc.byteLength });
    expect(table.getChild("id")!.get(5)).toBe(5n);
  });

  const good = () => {
    const ipc = arrow.tableToIPC(sample(), "file");
    const path = join(dir, `good-${Math.random().toString(36).slice(2)}.arrow`);
    writeFileSync(path, ipc);
    return { segmentId: "t", path, offset: 0, length: ipc.byteLength, ipc };
  };

  it("answers SEGMENT_NOT_FOUND for a missing file", () => {
    expect(codeOf(() => mapSegment({ segmentId: "t", path: join(dir, "nope.arrow"), offset: 0, length: 100 }))).toBe("SEGMENT_NOT_FOUND");
  });

  it("answers SEGMENT_INVALID for a file shorter than the handle", () => {
    const seg = good();
    expect(codeOf(() => mapSegment({ ...seg, length: seg.length + 1 }))).toBe("SEGMENT_INVALID");
  });

  it("answers SEGMENT_INVALID for an offset that is not a multiple of 64", () => {
    expect(codeOf(() => mapSegment({ ...good(), offset: 8 }))).toBe("SEGMENT_INVALID");
  });

  it("answers SEGMENT_INVALID for bytes without the ARROW1 magic (an IPC stream, text)", () => {
    const path = join(dir, "stream.arrow");
    const stream = arrow.tableToIPC(sample(), "stream");
    writeFileSync(path, stream);
    expect(codeOf(() => mapSegment({ segmentId: "t", path, offset: 0, length: stream.byteLength }))).toBe("SEGMENT_INVALID");
    expect(codeOf(() => mapSegment({ segmentId: "t", path, offset: 0, length: 4 }))).toBe("SEGMENT_INVALID");
  });

  it("answers SEGMENT_INVALID for an IPC file cut short (end magic missing) or with a corrupt footer", () => {
    const seg = good();
    expect(codeOf(() => readSegment({ ...seg, length: seg.length - 64 }))).toBe("SEGMENT_INVALID");
    const corrupt = Buffer.from(seg.ipc);
    const footerLength = corrupt.readInt32LE(corrupt.byteLength - 10);
    corrupt.fill(0xff, corrupt.byteLength - 10 - footerLength, corrupt.byteLength - 10); // the footer, both magics intact
    writeFileSync(seg.path, corrupt);
    expect(codeOf(() => readSegment(seg))).toBe("SEGMENT_INVALID");
  });

  it("answers SEGMENT_INVALID for a handle with no path", () => {
    expect(codeOf(() => mapSegment({ segmentId: "t", path: "", offset: 0, length: 100 }))).toBe("SEGMENT_INVALID");
  });
});
