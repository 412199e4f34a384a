// Short column type names ("int64", "utf8", ...) used to describe table schemas
// in plugin code and manifests without spelling out apache-arrow classes, plus
// the value coercions JavaScript needs (int64 columns hold bigint, not number).
import * as arrow from "apache-arrow";

/** Column type names accepted wherever a schema is described. */
export type ColumnTypeName =
  | "bool"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "float32"
  | "float64"
  | "utf8"
  | "binary"
  | "date_day"
  | "timestamp_s"
  | "timestamp_ms"
  | "timestamp_us"
  | "timestamp_ns";

/** A column type: a short name or any apache-arrow DataType. */
export type ColumnType = ColumnTypeName | arrow.DataType;

/** A table schema: an apache-arrow Schema, or column name → type (all columns nullable). */
export type SchemaSpec = arrow.Schema | Record<string, ColumnType>;

const typeFactories: Record<ColumnTypeName, () => arrow.DataType> = {
  bool: () => new arrow.Bool(),
  int8: () => new arrow.Int8(),
  int16: () => new arrow.Int16(),
  int32: () => new arrow.Int32(),
  int64: () => new arrow.Int64(),
  uint8: () => new arrow.Uint8(),
  uint16: () => new arrow.Uint16(),
  uint32: () => new arrow.Uint32(),
  uint64: () => new arrow.Uint64(),
  float32: () => new arrow.Float32(),
  float64: () => new arrow.Float64(),
  utf8: () => new arrow.Utf8(),
  binary: () => new arrow.Binary(),
  date_day: () => new arrow.DateDay(),
  timestamp_s: () => new arrow.TimestampSecond(),
  timestamp_ms: () => new arrow.TimestampMillisecond(),
  timestamp_us: () => new arrow.TimestampMicrosecond(),
  timestamp_ns: () => new arrow.TimestampNanosecond(),
};

/** Resolves a column type. Throws a TypeError naming the valid names for an unknown name. */
export function toDataType(type: ColumnType): arrow.DataType {
  if (type instanceof arrow.DataType) return type;
  const factory = typeFactories[type as ColumnTypeName];
  if (!factory) {
    throw new TypeError(`unknown column type "${String(type)}": use one of ${Object.keys(typeFactories).join(", ")} or an apache-arrow DataType`);
  }
  return factory();
}

/** Turns a schema description into an apache-arrow Schema. Throws a TypeError on an unknown type name. */
export function toArrowSchema(spec: SchemaSpec): arrow.Schema {
  if (spec instanceof arrow.Schema) return spec;
  return new arrow.Schema(Object.entries(spec).map(([name, type]) => new arrow.Field(name, toDataType(type), true)));
}

/**
 * Picks a column type from JavaScript values: bigint → int64, integral numbers
 * → int64, other numbers → float64, string → utf8, boolean → bool, Date →
 * timestamp_ms, Uint8Array → binary. All-null columns become utf8.
 * Throws a TypeError for values with no Arrow equivalent here (objects, arrays).
 */
export function inferColumnType(column: string, values: readonly unknown[]): arrow.DataType {
  let sawNumber = false;
  let allIntegral = true;
  let kind: string | undefined;
  for (const value of values) {
    if (value === null || value === undefined) continue;
    const valueKind = value instanceof Date ? "date" : value instanceof Uint8Array ? "binary" : typeof value;
    if (kind === undefined) kind = valueKind;
    else if (!(kind === valueKind || (isNumeric(kind) && isNumeric(valueKind)))) {
      throw new TypeError(`column "${column}" mixes ${kind} and ${valueKind} values: give Table.fromRows a schema`);
    }
    if (valueKind === "number") {
      sawNumber = true;
      if (!Number.isInteger(value)) allIntegral = false;
    }
  }
  switch (kind) {
    case undefined:
    case "string":
      return new arrow.Utf8();
    case "bigint":
      return sawNumber && !allIntegral ? new arrow.Float64() : new arrow.Int64();
    case "number":
      return allIntegral ? new arrow.Int64() : new arrow.Float64();
    case "boolean":
      return new arrow.Bool();
    case "date":
      return new arrow.TimestampMillisecond();
    case "binary":
      return new arrow.Binary();
    default:
      throw new TypeError(`column "${column}" holds ${kind} values, which Table.fromRows cannot infer: give a schema or build the arrow table yourself`);
  }
}

function isNumeric(kind: string): boolean {
  return kind === "number" || kind === "bigint";
}

/**
 * Converts values so apache-arrow's builders accept them for `type`: numbers
 * become bigint for 64-bit integer columns, bigints become numbers for other
 * numeric columns, Dates/ISO strings become epoch values for timestamps.
 * Throws a TypeError naming the column and row for a value that cannot fit.
 */
export function coerceColumnValues(column: string, values: unknown[], type: arrow.DataType): unknown[] {
  const coerce = coercerFor(type);
  if (!coerce) return values;
  return values.map((value, row) => {
    if (value === null || value === undefined) return null;
    try {
      return coerce(value);
    } catch (err) {
      throw new TypeError(`column "${column}" row ${row}: ${(err as Error).message}`);
    }
  });
}

type Coercer = (value: unknown) => unknown;

function coercerFor(type: arrow.DataType): Coercer | undefined {
  if (arrow.DataType.isInt(type)) return type.bitWidth === 64 ? toBigInt : toNumber;
  if (arrow.DataType.isFloat(type)) return toNumber;
  if (arrow.DataType.isTimestamp(type) || arrow.DataType.isDate(type)) return toEpochMillis(type);
  return undefined;
}

function toBigInt(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return BigInt(value.trim());
  throw new TypeError(`${JSON.stringify(String(value))} is not an integer`);
}

function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) return Number(value);
  throw new TypeError(`${JSON.stringify(String(value))} is not a number`);
}

function toEpochMillis(type: arrow.DataType): Coercer {
  // apache-arrow's timestamp/date builders take epoch milliseconds whatever the unit.
  return (value) => {
    if (value instanceof Date) return value.getTime();
    if (typeof value === "number") return value;
    if (typeof value === "bigint") return Number(value);
    if (typeof value === "string") {
      const ms = Date.parse(value);
      if (!Number.isNaN(ms)) return ms;
    }
    throw new TypeError(`${JSON.stringify(String(value))} is not a date or time for a ${String(type)} column`);
  };
}
