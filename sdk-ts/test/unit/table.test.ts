// Table: zero-copy wrapping of apache-arrow tables, building from rows and
// columns, and column replacement that shares the untouched columns.
import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { decodeIpc, encodeIpcStream } from "../../src/core/ipc.js";
import { Table } from "../../src/core/table.js";

describe("Table", () => {
  it("wraps an apache-arrow table without copying", () => {
    const source = new arrow.Table({ x: arrow.vectorFromArray([1, 2, 3]) });
    const table = Table.fromArrow(source);
    expect(table.arrow).toBe(source);
    expect(table.numRows).toBe(3);
    expect(table.schema).toBe(source.schema);
  });

  it("reads decoded IPC buffers in place (no copy of the column data)", () => {
    const bytes = encodeIpcStream(new arrow.Table({ x: arrow.makeVector(new Float64Array([1, 2, 3, 4])) }));
    const table = Table.fromArrow(decodeIpc(bytes));
    const values = table.column("x")!.data[0]!.values as Float64Array;
    expect(values.buffer).toBe(bytes.buffer);
    expect([...values]).toEqual([1, 2, 3, 4]);
  });

  it("keeps subclasses from the static factories", () => {
    class CredentialsTable extends Table {}
    expect(CredentialsTable.fromRows([{ id: 1 }])).toBeInstanceOf(CredentialsTable);
    expect(CredentialsTable.fromArrow(new arrow.Table())).toBeInstanceOf(CredentialsTable);
    expect(CredentialsTable.empty()).toBeInstanceOf(CredentialsTable);
    expect(CredentialsTable.fromRows([{ id: 1 }]).withColumn("y", [2])).toBeInstanceOf(CredentialsTable);
  });

  it("infers column types from rows", () => {
    const table = Table.fromRows([
      { id: 1, score: 1.5, name: "a", ok: true, big: 10n, at: new Date(0) },
      { id: 2, score: 2, name: null, ok: false, big: null, at: null },
    ]);
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toEqual({ id: "Int64", score: "Float64", name: "Utf8", ok: "Bool", big: "Int64", at: "Timestamp<MILLISECOND>" });
    expect(table.toRows()).toEqual([
      { id: 1n, score: 1.5, name: "a", ok: true, big: 10n, at: 0 },
      { id: 2n, score: 2, name: null, ok: false, big: null, at: null },
    ]);
  });

  it("follows a given schema, converting values and keeping column order", () => {
    const table = Table.fromRows([{ b: "2", a: 1 }], { a: "int64", b: "float64", c: "utf8" });
    expect(table.columnNames).toEqual(["a", "b", "c"]);
    expect(table.toRows()).toEqual([{ a: 1n, b: 2, c: null }]);
  });

  it("names the column and row of a value that does not fit", () => {
    expect(() => Table.fromRows([{ a: 1 }, { a: 1.5 }], { a: "int64" })).toThrow('column "a" row 1');
    expect(() => Table.fromRows([{ a: 1 }, { a: "x" }])).toThrow('column "a" mixes number and string');
    expect(() => Table.fromRows([{ a: { nested: 1 } }])).toThrow('column "a" holds object values');
  });

  it("replaces a column in place and shares the others", () => {
    const table = Table.fromRows([{ id: 1, name: "a" }, { id: 2, name: "b" }]);
    const replaced = table.withColumn("id", [10.5, 20.5], "float64");
    expect(replaced.columnNames).toEqual(["id", "name"]);
    expect(replaced.column("name")!.data[0]).toBe(table.column("name")!.data[0]);
    const appended = table.withColumn("tag", ["x", "y"]);
    expect(appended.columnNames).toEqual(["id", "name", "tag"]);
    expect(() => table.withColumn("bad", [1])).toThrow(RangeError);
  });

  it("builds from columns, using typed arrays without copying", () => {
    const ids = new BigInt64Array([0n, 1n, 2n]);
    const table = Table.fromColumns({ id: ids, label: ["a", null, "é"] });
    expect(table.column("id")!.data[0]!.values).toBe(ids);
    expect(table.toRows()).toEqual([
      { id: 0n, label: "a" },
      { id: 1n, label: null },
      { id: 2n, label: "é" },
    ]);
    expect(() => Table.fromColumns({ a: [1, 2], b: [1] })).toThrow(RangeError);
    expect(() => Table.fromColumns({ s: ["a", 1] }, { s: "utf8" })).toThrow('column "s" row 1');
  });

  it("survives an IPC round trip with nulls and unicode", () => {
    const table = Table.fromColumns({ s: ["日本", null, "", "x".repeat(1000)] });
    expect(Table.fromArrow(decodeIpc(encodeIpcStream(table.arrow))).toRows()).toEqual(table.toRows());
  });

  it("makes empty tables with or without a schema", () => {
    expect(Table.empty().numRows).toBe(0);
    expect(Table.empty({ a: "int32" }).columnNames).toEqual(["a"]);
    expect(Table.fromRows([], { a: "utf8" }).columnNames).toEqual(["a"]);
  });
});
