// Table: the value steps receive and return. It wraps an apache-arrow Table
// without copying it (`Table.fromArrow(t).arrow === t`), so plugin code can use
// the whole apache-arrow API and the SDK moves buffers, not rows.
import * as arrow from "apache-arrow";
import { type ColumnType, type SchemaSpec, inferColumnType, toArrowSchema } from "./column-types.js";
import { buildVector } from "./vectors.js";

/** A row as plain JavaScript values (int64 as bigint, timestamps as epoch ms). */
export type Row = Record<string, unknown>;

/**
 * An Arrow table handed to and returned by steps. Subclass it to name table
 * shapes (`class CredentialsTable extends Table {}`): the static factories
 * return the subclass they are called on.
 */
export class Table {
  /** The wrapped apache-arrow table (the same object, never a copy). */
  readonly arrow: arrow.Table;

  /** Wraps `table` as is. Prefer {@link Table.fromArrow}. */
  constructor(table: arrow.Table) {
    this.arrow = table;
  }

  /** Wraps an apache-arrow table without copying it. */
  static fromArrow<T extends Table>(this: new (table: arrow.Table) => T, table: arrow.Table): T {
    return new this(table);
  }

  /**
   * Builds a table from row objects. With `schema`, columns come in its order
   * and values are converted to its types (numbers → bigint for int64...);
   * without it, columns come in first-seen key order and types are inferred
   * (integral numbers → int64, other numbers → float64, strings → utf8...).
   * Throws a TypeError naming the column when a value does not fit its type.
   */
  static fromRows<T extends Table>(
    this: new (table: arrow.Table) => T,
    rows: readonly Row[],
    schema?: SchemaSpec,
  ): T {
    const arrowSchema = schema ? toArrowSchema(schema) : undefined;
    const names = arrowSchema ? arrowSchema.fields.map((f) => f.name) : columnNamesOf(rows);
    const vectors: Record<string, arrow.Vector> = {};
    for (const [index, name] of names.entries()) {
      const values = rows.map((row) => row[name] ?? null);
      const type = arrowSchema ? arrowSchema.fields[index]!.type : inferColumnType(name, values);
      vectors[name] = buildVector(name, values, type);
    }
    if (names.length === 0) return new this(emptyTable(arrowSchema));
    const built = new arrow.Table(vectors);
    // Keep the caller's field metadata and nullability when a schema was given.
    return new this(arrowSchema ? new arrow.Table(arrowSchema, built.batches.map((b) => rebatch(b, arrowSchema))) : built);
  }

  /**
   * Builds a table from columns: apache-arrow Vectors and typed arrays are used
   * without copying (BigInt64Array → int64, Float64Array → float64...), plain
   * arrays are converted (typed by `types[name]`, or inferred; strings take a
   * fast utf8 path). Throws a RangeError when the columns differ in length and
   * a TypeError when a value does not fit its column type.
   */
  static fromColumns<T extends Table>(
    this: new (table: arrow.Table) => T,
    columns: Record<string, arrow.Vector | ArrayBufferView | readonly unknown[]>,
    types: Record<string, ColumnType> = {},
  ): T {
    const vectors: Record<string, arrow.Vector> = {};
    let length: number | undefined;
    for (const [name, values] of Object.entries(columns)) {
      const vector =
        values instanceof arrow.Vector
          ? values
          : ArrayBuffer.isView(values)
            ? arrow.makeVector(values as Float64Array) // any typed array: makeVector picks the type from its class
            : buildVector(name, values as readonly unknown[], types[name]);
      if (length !== undefined && vector.length !== length) {
        throw new RangeError(`column "${name}" has ${vector.length} values but the columns before it have ${length}`);
      }
      length = vector.length;
      vectors[name] = vector;
    }
    return new this(length === undefined ? new arrow.Table() : new arrow.Table(vectors));
  }

  /** A table with no rows: no columns, or the columns of `schema`. */
  static empty<T extends Table>(this: new (table: arrow.Table) => T, schema?: SchemaSpec): T {
    return new this(emptyTable(schema ? toArrowSchema(schema) : undefined));
  }

  /** Number of rows. */
  get numRows(): number {
    return this.arrow.numRows;
  }

  /** The Arrow schema (column names, types, nullability). */
  get schema(): arrow.Schema {
    return this.arrow.schema;
  }

  /** Column names in order. */
  get columnNames(): string[] {
    return this.arrow.schema.fields.map((field) => field.name);
  }

  /** The column called `name`, or null when there is none. */
  column(name: string): arrow.Vector | null {
    return this.arrow.getChild(name);
  }

  /**
   * A new table with column `name` set to `values`: replaced in place when it
   * exists, appended otherwise. `values` is an apache-arrow Vector or an array
   * (then typed by `type`, or inferred). Other columns are shared, not copied.
   * Throws a RangeError when the length differs from numRows.
   */
  withColumn(name: string, values: arrow.Vector | readonly unknown[], type?: ColumnType): this {
    const vector = values instanceof arrow.Vector ? values : buildVector(name, values, type);
    if (vector.length !== this.numRows) {
      throw new RangeError(`column "${name}" has ${vector.length} values but the table has ${this.numRows} rows`);
    }
    const next = this.arrow.assign(new arrow.Table({ [name]: vector }));
    return new (this.constructor as new (table: arrow.Table) => this)(next);
  }

  /** The rows as plain objects (int64 as bigint, timestamps as epoch ms, utf8 as string). */
  toRows(): Row[] {
    const fields = this.arrow.schema.fields;
    const columns = fields.map((field) => this.arrow.getChild(field.name)!);
    const rows: Row[] = new Array(this.numRows);
    for (let i = 0; i < rows.length; i++) {
      const row: Row = {};
      for (let c = 0; c < fields.length; c++) row[fields[c]!.name] = plainValue(columns[c]!.get(i));
      rows[i] = row;
    }
    return rows;
  }
}

function columnNamesOf(rows: readonly Row[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

function emptyTable(schema?: arrow.Schema): arrow.Table {
  return schema ? new arrow.Table(schema) : new arrow.Table();
}

function rebatch(batch: arrow.RecordBatch, schema: arrow.Schema): arrow.RecordBatch {
  return new arrow.RecordBatch(schema, batch.data);
}

function plainValue(value: unknown): unknown {
  // Nested values (structs, lists) come back as Arrow row/vector proxies.
  if (value !== null && typeof value === "object" && "toJSON" in value && typeof value.toJSON === "function") {
    if (!(value instanceof Uint8Array) && !(value instanceof Date)) return value.toJSON();
  }
  return value;
}
