"use strict";
// The in-process addon's calls off the JS thread, against a tiny C plugin
// (slow-plugin.c) built here twice: with heddle_invoke_cancellable, and
// without it (a library that only has heddle_invoke).
const { test, before, after } = require("node:test");
const assert = require("node:assert");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { setFlagsFromString } = require("node:v8");
const { runInNewContext } = require("node:vm");
const native = require("..");

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hn-inproc-"));
const addon = native.inprocess();
let cancellable;
let plain;

/** Builds slow-plugin.c into dir/<name>.so with extra cc flags. */
function build(name, flags) {
  const out = path.join(dir, `${name}.so`);
  execFileSync("cc", ["-shared", "-fPIC", "-O1", ...flags, "-o", out, path.join(__dirname, "slow-plugin.c")]);
  return addon.open(out);
}

/** A one-column int64 table description over `values` (lent, not copied). */
function int64Table(values) {
  return { fields: [{ name: "x", format: "l", nullable: false }], batches: [{ length: values.length, columns: [{ length: values.length, nullCount: 0, offset: 0, buffers: [null, values] }] }] };
}

/** Lets deferred releases drain and garbage be collected until no input is held. */
async function settleExports() {
  for (let i = 0; i < 50 && addon.liveExports() > 0; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return addon.liveExports();
}

before(() => {
  cancellable = build("cancellable", ["-DHEDDLE_CANCELLABLE"]);
  plain = build("plain", []);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("invoke resolves off the JS thread, and the output is the input's own memory", async () => {
  const values = BigInt64Array.from([1n, 2n, 3n]);
  const pending = addon.invoke(cancellable, "echo", "{}", "{}", int64Table(values), null, 0);
  assert.ok(pending instanceof Promise);
  const answer = await pending;
  const buf = answer.output.batches[0].columns[0].buffers[1];
  assert.strictEqual(addon.address(buf.buffer) + BigInt(buf.byteOffset), addon.address(values));
  assert.deepStrictEqual([...new BigInt64Array(buf.buffer, buf.byteOffset, 3)], [1n, 2n, 3n]);
  assert.strictEqual(await settleExports(), 0);
});

test("the event loop runs while calls run (two at once): a timer cancels them, and the library stops", async () => {
  const flags = [new Int32Array(1), new Int32Array(1)];
  // Hour-long steps: they only end because the timer below fires during the calls.
  const pending = flags.map((flag) => addon.invoke(cancellable, "sleep", '{"ms":3600000}', "{}", null, flag, 0));
  assert.strictEqual(addon.runningCalls(), 2);
  setTimeout(() => flags.forEach((flag) => addon.cancel(flag, 1)), 5);
  for (const answer of await Promise.all(pending)) assert.strictEqual(JSON.parse(answer.error).code, "CANCELLED");
  assert.strictEqual(addon.runningCalls(), 0);
});

test("a deadline flag ends the call with DEADLINE_EXCEEDED; deadline_ms reaches the library", async () => {
  const flag = new Int32Array(1);
  const pending = addon.invoke(cancellable, "sleep", '{"ms":3600000}', "{}", null, flag, 0);
  setTimeout(() => addon.cancel(flag, 2), 5);
  assert.strictEqual(JSON.parse((await pending).error).code, "DEADLINE_EXCEEDED");
  // Without any flag: the library keeps the deadline itself.
  const timed = await addon.invoke(cancellable, "sleep", '{"ms":3600000}', "{}", null, null, 20);
  assert.strictEqual(JSON.parse(timed.error).code, "DEADLINE_EXCEEDED");
});

test("the input is released from the plugin's thread and freed on the JS thread", async () => {
  const answer = await addon.invoke(plain, "sleep", '{"ms":1}', "{}", int64Table(BigInt64Array.from([7n])), null, 0);
  assert.strictEqual(answer.output, null);
  assert.strictEqual(await settleExports(), 0);
});

test("a library without heddle_invoke_cancellable: calls work, a cancelled one runs to its end", async () => {
  const ok = await addon.invoke(plain, "echo", "{}", "{}", int64Table(BigInt64Array.from([5n])), new Int32Array(1), 1000);
  assert.strictEqual(ok.output.batches[0].length, 1);
  assert.strictEqual(JSON.parse((await addon.invoke(plain, "fail", "{}", "{}", null, null, 0)).error).code, "STEP_FAILED");
  const flag = new Int32Array(1);
  const pending = addon.invoke(plain, "sleep", '{"ms":50}', "{}", null, flag, 0);
  addon.cancel(flag, 1);
  // The library cannot see the flag: it finishes, and the addon reports the call as abandoned.
  assert.deepStrictEqual(await pending, { abandoned: true });
  assert.strictEqual(addon.runningCalls(), 0);
});

test("bad arguments throw USAGE", () => {
  assert.throws(() => addon.invoke(plain, 42, "{}", "{}", null), { code: "USAGE" });
  assert.throws(() => addon.invoke(plain, "sleep", "{}", "{}", null, new Float64Array(1), 0), { code: "USAGE" });
  assert.throws(() => addon.cancel(new Int32Array(1), 3), { code: "USAGE" });
});
