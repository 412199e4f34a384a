// Writes a call's output table for the CLI: JSON array of objects (int64 as
// numbers when safe, else strings; timestamps ISO 8601), CSV, or Arrow IPC.
import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { stringify as stringifyCsv } from "csv-stringify/sync";
import { DataType, tableToIPC, type Field, type Table } from "apache-arrow";
import { CliError } from "../errors.js";

/** Output formats the CLI writes. */
export type OutputFormat = "json" | "csv" | "arrow";

/** Converts one Arrow value of type `type` into a JSON-friendly value. */
export function jsonValue(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) return null;
  if (DataType.isDictionary(type)) return jsonValue(value, type.dictionary);
  if (DataType.isTimestamp(type) || (DataType.isDate(type) && typeof value === "number")) {
    const iso = new Date(Number(value)).toISOString();
    return DataType.isDate(type) && type.unit === 0 ? iso.slice(0, 10) : iso;
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (DataType.isDecimal(type)) return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (DataType.isStruct(type)) {
    const row = value as Record<string, unknown>;
    return Object.fromEntries(type.children.map((f: Field) => [f.name, jsonValue(row[f.name], f.type)]));
  }
  if (DataType.isList(type) || DataType.isFixedSizeList(type)) {
    const child = type.children[0]!.type;
    return [...(value as Iterable<unknown>)].map((v) => jsonValue(v, child));
  }
  if (DataType.isMap(type)) {
    const entries = value as { toJSON(): Record<string, unknown> };
    const valueType = type.children[0]!.type.children[1]!.type;
    return Object.fromEntries(Object.entries(entries.toJSON()).map(([k, v]) => [k, jsonValue(v, valueType)]));
  }
  return value;
}

/** The table's rows as plain objects with JSON-friendly values. */
export function tableToJsonRows(table: Table): Array<Record<string, unknown>> {
  const fields = table.schema.fields;
  const columns = fields.map((f) => table.getChild(f.name)!);
  const rows: Array<Record<string, unknown>> = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {};
    fields.forEach((f, c) => { row[f.name] = jsonValue(columns[c]!.get(i), f.type); });
    rows.push(row);
  }
  return rows;
}

/** Serialises a table (null = the step returned none) in `format`. */
export function serializeTable(table: Table | null, format: OutputFormat, dest = "-"): Uint8Array {
  if (format === "arrow") {
    if (!table) return new Uint8Array(0);
    const ext = extname(dest).toLowerCase();
    return tableToIPC(table, ext === ".arrow" || ext === ".feather" ? "file" : "stream");
  }
  if (format === "csv") {
    if (!table) return new Uint8Array(0);
    const names = table.schema.fields.map((f) => f.name);
    const rows = tableToJsonRows(table).map((r) => names.map((n) => {
      const v = r[n];
      return v !== null && typeof v === "object" ? JSON.stringify(v) : v;
    }));
    return Buffer.from(stringifyCsv(rows, { header: true, columns: names, cast: { boolean: (b) => String(b) } }));
  }
  return Buffer.from(JSON.stringify(table ? tableToJsonRows(table) : null, null, 2) + "\n");
}

/**
 * Writes the output to `dest` (a path, or `-` for stdout). Arrow goes out as
 * IPC stream, or IPC file when `dest` ends in .arrow/.feather. Fails with OUTPUT_WRITE_FAILED.
 */
export async function writeTableOutput(table: Table | null, format: OutputFormat, dest: string): Promise<void> {
  const bytes = serializeTable(table, format, dest);
  try {
    if (dest === "-") {
      await new Promise<void>((resolve, reject) => process.stdout.write(bytes, (err) => (err ? reject(err) : resolve())));
    } else {
      await writeFile(dest, bytes);
    }
  } catch (err) {
    throw new CliError("OUTPUT_WRITE_FAILED", `cannot write output to ${dest === "-" ? "stdout" : dest}: ${(err as Error).message}`, {
      component: dest, cause: err, hint: "check that the --output folder exists and is writable",
    });
  }
}
