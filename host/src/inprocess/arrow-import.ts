// The addon's C Stream description -> apache-arrow Table, without copying:
// typed arrays are views of the plugin's buffers (external ArrayBuffers that
// release the plugin's batch when collected).
import {
  Bool, DateDay, DateMillisecond, Field, Float32, Float64, Int8, Int16, Int32, Int64, LargeUtf8, RecordBatch, Schema, Struct, Table,
  TimeUnit, Timestamp, Uint8, Uint16, Uint32, Uint64, Utf8, makeData, type DataType,
} from "apache-arrow";
import type { CBuffer, CColumn, CStreamDesc } from "@heddle/native";
import { InProcessError } from "./errors.js";

const TS_UNITS: Record<string, TimeUnit> = { s: TimeUnit.SECOND, m: TimeUnit.MILLISECOND, u: TimeUnit.MICROSECOND, n: TimeUnit.NANOSECOND };
const FIXED: Record<string, () => DataType> = {
  c: () => new Int8(), C: () => new Uint8(), s: () => new Int16(), S: () => new Uint16(), i: () => new Int32(), I: () => new Uint32(),
  l: () => new Int64(), L: () => new Uint64(), f: () => new Float32(), g: () => new Float64(), b: () => new Bool(),
  u: () => new Utf8(), U: () => new LargeUtf8(), tdD: () => new DateDay(), tdm: () => new DateMillisecond(),
};

/** The apache-arrow type of an Arrow C format string. Fails with UNSUPPORTED. */
export function typeOfFormat(format: string, column: string): DataType {
  const fixed = FIXED[format];
  if (fixed) return fixed();
  const ts = /^ts([smun]):(.*)$/.exec(format);
  if (ts) return new Timestamp(TS_UNITS[ts[1]], ts[2] || null);
  throw new InProcessError("UNSUPPORTED", `column ${JSON.stringify(column)} has Arrow format ${JSON.stringify(format)}, which in-process calls do not support yet`);
}

type Ctor = { new (buffer: ArrayBuffer, byteOffset: number, length: number): ArrayBufferView; BYTES_PER_ELEMENT: number };

/** A typed array over a C buffer, starting `skip` elements in. */
function view(buf: CBuffer | null, ctor: Ctor, skip = 0): ArrayBufferView | undefined {
  if (!buf) return undefined;
  const start = buf.byteOffset + skip * ctor.BYTES_PER_ELEMENT;
  return new ctor(buf.buffer, start, Math.max(0, Math.floor((buf.byteLength - skip * ctor.BYTES_PER_ELEMENT) / ctor.BYTES_PER_ELEMENT)));
}

function importColumn(type: DataType, col: CColumn & { buffers: (CBuffer | null)[] }) {
  const [validity, b1, b2] = col.buffers;
  const nullBitmap = view(validity, Uint8Array) as Uint8Array | undefined;
  const base = { type, length: col.length, nullCount: col.nullCount, nullBitmap, offset: col.offset };
  // apache-arrow's convention (as Data.slice leaves it): value and offset
  // buffers start at the column's first row, bitmaps keep the offset.
  if (type instanceof Bool) return makeData({ ...base, data: view(b1, Uint8Array) } as never);
  if (type instanceof Utf8) return makeData({ ...base, valueOffsets: view(b1, Int32Array, col.offset), data: view(b2, Uint8Array) } as never);
  if (type instanceof LargeUtf8) return makeData({ ...base, valueOffsets: view(b1, BigInt64Array, col.offset), data: view(b2, Uint8Array) } as never);
  const ctor = (type as unknown as { ArrayType: Ctor }).ArrayType;
  return makeData({ ...base, data: view(b1, ctor, col.offset) } as never);
}

/** Builds a Table over the plugin's buffers. Fails with UNSUPPORTED for a type it cannot read. */
export function importTable(desc: NonNullable<CStreamDesc>): Table {
  const fields = desc.fields.map((f) => new Field(f.name, typeOfFormat(f.format, f.name), f.nullable));
  const schema = new Schema(fields);
  const batches = desc.batches.map((batch) => {
    const children = batch.columns.map((col, i) => importColumn(fields[i].type, col as CColumn & { buffers: (CBuffer | null)[] }));
    return new RecordBatch(schema, makeData({ type: new Struct(fields), length: batch.length, nullCount: 0, children }));
  });
  return batches.length ? new Table(schema, batches) : new Table(schema);
}
