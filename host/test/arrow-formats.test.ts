// CLI table formats: JSON/CSV/Arrow input (detection, type inference, errors)
// and JSON/CSV/Arrow output; plus the IPC chunking used by InvokeStream.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as arrow from "apache-arrow";
import { detectInputFormat, parseTableInput, readTableInput } from "../src/arrow/input-formats.js";
import { serializeTable, tableToJsonRows } from "../src/arrow/output-formats.js";
import { ipcMessageEnds, splitIpcIntoChunks } from "../src/arrow/chunking.js";
import { decodeTableStrict } from "../src/arrow/ipc.js";
import type { HostError } from "../src/errors.js";

const schemaOf = (t: arrow.Table) => Object.fromEntries(t.schema.fields.map((f) => [f.name, String(f.type)]));
const text = (s: string) => Buffer.from(s);

describe("input detection", () => {
  const ipcStream = arrow.tableToIPC(arrow.tableFromArrays({ a: Int32Array.from([1]) }), "stream");
  const ipcFile = arrow.tableToIPC(arrow.tableFromArrays({ a: Int32Array.from([1]) }), "file");
  it.each([
    ["rows.json", text("a,b"), "json"],
    ["rows.csv", text("[1]"), "csv"],
    ["t.arrow", text("x"), "arrow"],
    ["t.arrows", text("x"), "arrow"],
    [undefined, ipcStream, "arrow"],
    [undefined, ipcFile, "arrow"],
    [undefined, text('  [{"a":1}]'), "json"],
    [undefined, text('{"a":1}\n{"a":2}'), "json"],
    [undefined, text("a,b\n1,2"), "csv"],
  ])("%s → %s", (name, bytes, want) => {
    expect(detectInputFormat(bytes as Uint8Array, name as string | undefined)).toBe(want);
  });
});

describe("JSON input", () => {
  it("infers int64, float64, bool, utf8 with nulls, in first-seen column order", () => {
    const t = parseTableInput(text(JSON.stringify([
      { id: 1, score: 1.5, ok: true, name: "a", extra: { x: 1 } },
      { id: 2, score: 2, ok: null, name: null, late: "z" },
    ])), "json", "rows.json");
    expect(schemaOf(t)).toEqual({ id: "Int64", score: "Float64", ok: "Bool", name: "Utf8", extra: "Utf8", late: "Utf8" });
    expect(tableToJsonRows(t)).toEqual([
      { id: 1, score: 1.5, ok: true, name: "a", extra: '{"x":1}', late: null },
      { id: 2, score: 2, ok: null, name: null, extra: null, late: "z" },
    ]);
  });

  it("accepts one object per line (NDJSON)", () => {
    expect(parseTableInput(text('{"a":1}\n{"a":2}\n'), "json", "x").numRows).toBe(2);
  });

  it.each([
    ["{ bad", "invalid JSON"],
    ['{"a":1}', "array of objects"],
    ["[1,2]", "row 0 must be an object"],
  ])("rejects %s with INPUT_READ_FAILED", (content, message) => {
    let err: HostError | undefined;
    try { parseTableInput(text(content), "json", "in.json"); } catch (e) { err = e as HostError; }
    expect(err?.code).toBe("INPUT_READ_FAILED");
    expect(err?.message).toContain(message);
    expect(err?.message).toContain("in.json");
  });
});

describe("CSV input", () => {
  it("reads a header and infers types from text", () => {
    const t = parseTableInput(text("id,price,flag,label,big\n1,2.5,true,x,123456789012345678901\n2,,false,,7\n"), "csv", "in.csv");
    expect(schemaOf(t)).toEqual({ id: "Int64", price: "Float64", flag: "Bool", label: "Utf8", big: "Utf8" });
    expect(tableToJsonRows(t)).toEqual([
      { id: 1, price: 2.5, flag: true, label: "x", big: "123456789012345678901" },
      { id: 2, price: null, flag: false, label: null, big: "7" },
    ]);
  });

  it("rejects ragged rows with INPUT_READ_FAILED", () => {
    expect(() => parseTableInput(text("a,b\n1,2,3\n"), "csv", "in.csv")).toThrow(/invalid CSV/);
  });
});

describe("Arrow input and files", () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), "hh-arrow-")); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it("reads IPC stream and file format, from files", async () => {
    const t = arrow.tableFromArrays({ a: Int32Array.from([1, 2, 3]) });
    await writeFile(join(dir, "t.arrows"), arrow.tableToIPC(t, "stream"));
    await writeFile(join(dir, "t.bin"), arrow.tableToIPC(t, "file"));
    expect((await readTableInput(join(dir, "t.arrows"))).numRows).toBe(3);
    expect((await readTableInput(join(dir, "t.bin"))).numRows).toBe(3);
  });

  it("reports missing, empty and corrupt files with INPUT_READ_FAILED", async () => {
    await writeFile(join(dir, "empty.json"), "");
    await writeFile(join(dir, "bad.arrow"), "ARROW1 but then nothing sensible");
    for (const [file, message] of [["nope.json", "does not exist"], ["empty.json", "is empty"], ["bad.arrow", "not a valid Arrow"]]) {
      const err = await readTableInput(join(dir, file!)).catch((e: HostError) => e);
      expect(err).toMatchObject({ code: "INPUT_READ_FAILED" });
      expect((err as HostError).message).toContain(message);
    }
  });
});

describe("output formats", () => {
  const ts = arrow.vectorFromArray([new Date("2026-01-02T03:04:05.678Z"), null], new arrow.TimestampMillisecond());
  const table = new arrow.Table({
    small: arrow.vectorFromArray([1n, 2n], new arrow.Int64()),
    huge: arrow.vectorFromArray([9007199254740993n, null], new arrow.Int64()),
    at: ts,
    name: arrow.vectorFromArray(["a,b", "c"], new arrow.Utf8()),
    f: arrow.vectorFromArray([Number.NaN, 1.25], new arrow.Float64()),
  });

  it("JSON: safe int64 as numbers, others as strings, timestamps ISO", () => {
    expect(JSON.parse(Buffer.from(serializeTable(table, "json")).toString())).toEqual([
      { small: 1, huge: "9007199254740993", at: "2026-01-02T03:04:05.678Z", name: "a,b", f: "NaN" },
      { small: 2, huge: null, at: null, name: "c", f: 1.25 },
    ]);
    expect(Buffer.from(serializeTable(null, "json")).toString().trim()).toBe("null");
  });

  it("CSV: header row and quoting", () => {
    expect(Buffer.from(serializeTable(table, "csv")).toString()).toBe(
      'small,huge,at,name,f\n1,9007199254740993,2026-01-02T03:04:05.678Z,"a,b",NaN\n2,,,c,1.25\n',
    );
  });

  it("Arrow: IPC stream by default, IPC file for .arrow destinations", () => {
    const stream = serializeTable(table, "arrow", "-");
    const file = serializeTable(table, "arrow", "out.arrow");
    expect(Buffer.from(file.subarray(0, 6)).toString()).toBe("ARROW1");
    expect(decodeTableStrict(stream).numRows).toBe(2);
    expect(decodeTableStrict(file).numRows).toBe(2);
  });
});

describe("IPC chunking", () => {
  const big = new arrow.Table({ x: arrow.makeVector(Float64Array.from({ length: 600_000 }, (_, i) => i)) });
  const batches = [0, 1, 2, 3].map((k) => new arrow.Table({ x: arrow.makeVector(Float64Array.from({ length: 100_000 }, (_, i) => i + k)) }));
  const multi = batches.reduce((a, b) => a.concat(b));

  it("finds every message boundary", () => {
    const ipc = arrow.tableToIPC(multi, "stream");
    const ends = ipcMessageEnds(ipc);
    expect(ends.at(-1)).toBe(ipc.length); // end-of-stream marker
    expect(ends.length).toBe(1 + 4 + 1); // schema, 4 batches, EOS
  });

  it("cuts at message boundaries into ≤ 2 MiB chunks that concatenate back", () => {
    const ipc = arrow.tableToIPC(multi, "stream");
    const chunks = splitIpcIntoChunks(ipc, 1_000_000);
    expect(chunks.every((c) => c.length <= 1_000_000)).toBe(true);
    expect(Buffer.concat(chunks).equals(Buffer.from(ipc))).toBe(true);
    const ends = new Set(ipcMessageEnds(ipc));
    let offset = 0;
    for (const c of chunks.slice(0, -1)) {
      offset += c.length;
      expect(ends.has(offset)).toBe(true);
    }
  });

  it("slices a single message larger than a chunk", () => {
    const ipc = arrow.tableToIPC(big, "stream"); // one 4.8 MB batch
    const chunks = splitIpcIntoChunks(ipc);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.every((c) => c.length <= 2 * 1024 * 1024)).toBe(true);
    expect(decodeTableStrict(Buffer.concat(chunks)).numRows).toBe(600_000);
  });

  it("slices bytes it cannot parse blindly", () => {
    const junk = Buffer.alloc(5 * 1024 * 1024, 7);
    const chunks = splitIpcIntoChunks(junk);
    expect(chunks.map((c) => c.length)).toEqual([2 * 1024 * 1024, 2 * 1024 * 1024, 1024 * 1024]);
  });
});
