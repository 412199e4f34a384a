// apache-arrow Table -> the addon's C Stream description, without copying:
// every buffer handed over is a view of the column's own typed array.
import { DataType, Type, TimeUnit, DateUnit, type Data, type Table, type Field } from "apache-arrow";
import type { CStreamDesc } from "@heddle/native";
import { InProcessError } from "./errors.js";

const UNIT_LETTER: Record<number, string> = { [TimeUnit.SECOND]: "s", [TimeUnit.MILLISECOND]: "m", [TimeUnit.MICROSECOND]: "u", [TimeUnit.NANOSECOND]: "n" };

/** The Arrow C format string and fixed byte width (0 = bits, -1 = variable) of a type. Fails with UNSUPPORTED. */
export function cFormat(type: DataType, column: string): { format: string; width: number } {
  if (DataType.isInt(type)) {
    const letters: Record<number, string> = { 8: "c", 16: "s", 32: "i", 64: "l" };
    const letter = letters[type.bitWidth];
    return { format: type.isSigned ? letter : letter.toUpperCase(), width: type.bitWidth / 8 };
  }
  if (DataType.isFloat(type) && type.precision !== 0) return type.precision === 1 ? { format: "f", width: 4 } : { format: "g", width: 8 };
  if (DataType.isBool(type)) return { format: "b", width: 0 };
  if (type.typeId === Type.Utf8) return { format: "u", width: -1 };
  if (type.typeId === Type.LargeUtf8) return { format: "U", width: -1 };
  if (DataType.isTimestamp(type)) return { format: `ts${UNIT_LETTER[type.unit]}:${type.timezone ?? ""}`, width: 8 };
  if (DataType.isDate(type)) return type.unit === DateUnit.DAY ? { format: "tdD", width: 4 } : { format: "tdm", width: 8 };
  throw new InProcessError("UNSUPPORTED", `column ${JSON.stringify(column)} has type ${String(type)}, which in-process calls do not support yet`, {
    hint: "use int8-64, uint8-64, float32/64, bool, utf8, large utf8, date or timestamp columns, or run the plugin out of process",
  });
}

/**
 * A view starting `back` bytes before `view` (apache-arrow slices value
 * buffers but keeps the validity bitmap whole, while the C interface has one
 * offset for all buffers).
 */
function shiftedBack(view: ArrayBufferView, back: number, column: string): Uint8Array {
  if (view.byteOffset < back) {
    throw new InProcessError("UNSUPPORTED", `column ${JSON.stringify(column)} is a slice whose buffers cannot be lent as they are`, { hint: "pass an unsliced table" });
  }
  return new Uint8Array(view.buffer, view.byteOffset - back, view.byteLength + back);
}

function columnBuffers(data: Data, width: number, column: string): (ArrayBufferView | null)[] {
  const validity = data.nullCount > 0 ? data.nullBitmap ?? null : null;
  const offset = data.offset;
  if (width === 0) return [validity, data.values];
  if (width > 0) return [validity, offset ? shiftedBack(data.values, offset * width, column) : data.values];
  const offsets = data.valueOffsets as ArrayBufferView;
  const ow = (offsets as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  return [validity, offset ? shiftedBack(offsets, offset * ow, column) : offsets, data.values];
}

/** Describes `table` for the C Stream interface (no copy). Fails with UNSUPPORTED for types or nesting it cannot lend. */
export function exportTable(table: Table): CStreamDesc {
  const fields = table.schema.fields.map((f: Field) => ({ name: f.name, format: cFormat(f.type, f.name).format, nullable: f.nullable }));
  const widths = table.schema.fields.map((f: Field) => cFormat(f.type, f.name).width);
  const batches = table.batches.map((batch) => ({
    length: batch.numRows,
    columns: batch.data.children.map((data, i) => ({
      length: data.length,
      nullCount: data.nullCount,
      offset: data.offset,
      buffers: columnBuffers(data, widths[i], fields[i].name),
    })),
  }));
  return { fields, batches };
}
