// Builds an Arrow table from row objects (parsed JSON or CSV), inferring one
// Arrow type per column: int64, float64, bool or utf8.
import { Bool, Float64, Int64, Table, Utf8, vectorFromArray, type DataType, type Vector } from "apache-arrow";

/** A cell as read from JSON or CSV. */
export type Cell = string | number | boolean | null | undefined | object;

/** How cells of one column are read. */
export interface InferenceRules {
  /** CSV: read "12" as a number and "true" as a boolean; "" is null. JSON: values keep their JSON type. */
  fromText: boolean;
}

/** Makes a table from rows; column order is the order keys first appear. */
export function tableFromRows(rows: Array<Record<string, Cell>>, rules: InferenceRules): Table {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key);
        names.push(key);
      }
    }
  }
  const columns: Record<string, Vector> = {};
  for (const name of names) {
    const cells = rows.map((r) => normalize(r[name], rules));
    columns[name] = buildColumn(cells);
  }
  return new Table(columns);
}

function normalize(value: Cell, rules: InferenceRules): Cell {
  if (value === undefined || value === null) return null;
  if (!rules.fromText || typeof value !== "string") return value;
  const text = value.trim();
  if (text === "") return null;
  if (/^[+-]?\d+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : value; // too big for a number: keep the digits as text
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === "true";
  return value;
}

function buildColumn(cells: Cell[]): Vector {
  const present = cells.filter((c) => c !== null && c !== undefined);
  const type = inferType(present);
  if (type instanceof Int64) return vectorFromArray(cells.map((c) => (c === null ? null : BigInt(c as number))), type);
  if (type instanceof Float64) return vectorFromArray(cells.map((c) => (c === null ? null : (c as number))), type);
  if (type instanceof Bool) return vectorFromArray(cells.map((c) => (c === null ? null : (c as boolean))), type);
  return vectorFromArray(cells.map((c) => (c === null ? null : asText(c))), new Utf8());
}

function inferType(present: Cell[]): DataType {
  if (present.length === 0) return new Utf8();
  if (present.every((c) => typeof c === "number")) {
    return present.every((c) => Number.isSafeInteger(c)) ? new Int64() : new Float64();
  }
  if (present.every((c) => typeof c === "boolean")) return new Bool();
  return new Utf8();
}

function asText(c: Cell): string {
  return typeof c === "string" ? c : typeof c === "object" ? JSON.stringify(c) : String(c);
}
