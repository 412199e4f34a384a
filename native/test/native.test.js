"use strict";
const { test } = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const native = require("..");

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hn-"));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("a created segment is shared with a read-only mapping of the same file", () => {
  const file = path.join(dir, "seg");
  const w = new Uint8Array(native.createSegment(file, 10000));
  w.set([1, 2, 3], 4096 + 5);
  const r = new Uint8Array(native.mapReadOnly(file, 4096, 100));
  assert.deepStrictEqual([...r.subarray(5, 8)], [1, 2, 3]);
  w[4096 + 6] = 42; // same pages: the reader sees the write without any copy
  assert.strictEqual(r[6], 42);
});

test("unaligned offsets map correctly", () => {
  const file = path.join(dir, "odd");
  fs.writeFileSync(file, Buffer.from("0123456789abcdef"));
  assert.strictEqual(Buffer.from(native.mapReadOnly(file, 3, 5)).toString(), "34567");
});

test("errors carry Heddle codes", () => {
  assert.throws(() => native.mapReadOnly(path.join(dir, "missing"), 0, 1), { code: "SEGMENT_NOT_FOUND" });
  fs.writeFileSync(path.join(dir, "short"), "abc");
  assert.throws(() => native.mapReadOnly(path.join(dir, "short"), 0, 100), { code: "SEGMENT_INVALID" });
  native.createSegment(path.join(dir, "once"), 8);
  assert.throws(() => native.createSegment(path.join(dir, "once"), 8), { code: "SHM_UNAVAILABLE" });
  assert.throws(() => native.mapReadOnly(path.join(dir, "short"), -1, 1), { code: "USAGE" });
});

test("release unmaps a mapping now and empties its views", async () => {
  const file = path.join(dir, "released");
  new Uint8Array(native.createSegment(file, 1 << 20)).fill(7);
  // Read-only mappings of the file (the writable one above goes whenever GC collects it).
  const mapped = () => fs.readFileSync("/proc/self/maps", "utf8").split("\n").filter((l) => l.endsWith(file) && l.includes(" r--s ")).length;
  const before = mapped();
  const ab = native.mapReadOnly(file, 0, 1 << 20);
  const view = new Uint8Array(ab, 16, 64);
  assert.strictEqual(view[0], 7);
  assert.strictEqual(mapped(), before + 1);
  assert.strictEqual(native.release(ab), true);
  assert.strictEqual(view.length, 0); // no dangling view: reads give undefined, never a crash
  assert.strictEqual(native.release(ab), true); // twice is fine
  // The finalizer unmaps on the next turns of the event loop, not at the next GC.
  for (let i = 0; i < 100 && mapped() > before; i++) await new Promise((r) => setImmediate(r));
  assert.strictEqual(mapped(), before);
  assert.throws(() => native.release("not a buffer"), { code: "USAGE" });
});
