// Turns the JSON description of a table in a case file into an Arrow table,
// and an Arrow table back into comparable rows and type names.
import {
  Bool, DataType, Float64, Int32, Int64, Table, TimestampMillisecond, Utf8, Type, vectorFromArray,
} from "apache-arrow";

export type TypeName = "int32" | "int64" | "float64" | "utf8" | "bool" | "timestamp_ms";
export interface TableSpec { schema: Record<string, TypeName>; rows: Record<string, unknown>[] }

function arrowType(name: TypeName): DataType {
  switch (name) {
    case "int32": return new Int32();
    case "int64": return new Int64();
    case "float64": return new Float64();
    case "utf8": return new Utf8();
    case "bool": return new Bool();
    case "timestamp_ms": return new TimestampMillisecond();
  }
  throw new Error(`unknown type ${name} in case file`);
}

/** Builds the exact Arrow table a case describes (types from `schema`, not guessed). */
export function buildTable(spec: TableSpec): Table {
  const columns: Record<string, ReturnType<typeof vectorFromArray>> = {};
  for (const [name, type] of Object.entries(spec.schema)) {
    const values = spec.rows.map((r) => {
      const v = r[name] ?? null;
      if (v === null) return null;
      return type === "int64" ? BigInt(v as number) : v;
    });
    columns[name] = vectorFromArray(values as unknown[], arrowType(type) as DataType);
  }
  return new Table(columns);
}

/** The case-file name of an Arrow type, or its own description when it has none. */
export function typeName(t: DataType): string {
  if (t.typeId === Type.Int) {
    const bw = (t as Int32).bitWidth;
    return (t as Int32).isSigned ? `int${bw}` : `uint${bw}`;
  }
  if (t.typeId === Type.Float) return `float${(t as Float64).precision === 2 ? 64 : (t as Float64).precision === 1 ? 32 : 16}`;
  if (t.typeId === Type.Utf8) return "utf8";
  if (t.typeId === Type.LargeUtf8) return "large_utf8";
  if (t.typeId === Type.Bool) return "bool";
  if (t.typeId === Type.Timestamp) {
    const unit = (t as TimestampMillisecond).unit;
    return unit === 1 ? "timestamp_ms" : `timestamp(unit=${unit})`;
  }
  return String(t);
}

export function schemaOf(t: Table): Record<string, string> {
  return Object.fromEntries(t.schema.fields.map((f) => [f.name, typeName(f.type)]));
}

function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return v.getTime();
  return v ?? null;
}

export function rowsOf(t: Table): Record<string, unknown>[] {
  const names = t.schema.fields.map((f) => f.name);
  const cols = names.map((n) => t.getChild(n)!);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < t.numRows; i++) {
    const row: Record<string, unknown> = {};
    names.forEach((n, j) => (row[n] = plain(cols[j].get(i))));
    out.push(row);
  }
  return out;
}
