// The data plane end to end with real processes and real /dev/shm: tables by
// handle both ways, forwarding, release, bad handles, budget and spill,
// crashes, user Arrow files, fallback to a peer without shm.
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Table, makeVector, tableToIPC } from "apache-arrow";
import { Plugin, PluginHost, TableRef } from "../src/index.js";
import { FIXTURES, TempDirs } from "./helpers.js";

const PEER = join(FIXTURES, "shm-peer");
const ROWS = 300_000; // 2.4 MB of int64: above the 1 MiB threshold

function idTable(rows: number): Table {
  const ids = new BigInt64Array(rows);
  for (let i = 0; i < rows; i++) ids[i] = BigInt(i);
  return new Table({ id: makeVector(ids) });
}
const sumTo = (n: number) => BigInt(n) * BigInt(n - 1) / 2n;

async function checksum(plugin: Plugin, input: Table | TableRef): Promise<{ rows: bigint; sum: bigint }> {
  const t = await plugin.invoke("checksum", { input });
  return { rows: t!.getChild("rows")!.get(0), sum: t!.getChild("sum")!.get(0) };
}

const temps = new TempDirs();
let host: PluginHost;
let plugin: Plugin;

beforeAll(async () => {
  host = new PluginHost({ heddleHome: await temps.make(), healthIntervalMs: 0, restartInitialDelayMs: 50, handleProcessSignals: false });
  const loaded = await host.load(PEER);
  if (!(loaded instanceof Plugin)) throw new Error("the peer plugin must run as a process");
  plugin = loaded;
});
afterAll(async () => {
  await host.close();
  await temps.cleanup();
});

const segmentFiles = () => readdirSync(host.data.shmDir!);

describe("data plane with an shm-capable plugin", () => {
  it("negotiates shm and gives the plugin a private HEDDLE_SHM_DIR under /dev/shm", () => {
    expect(plugin.handshake.capabilities).toContain("shm");
    expect(host.data.shmDir!.startsWith("/dev/shm/heddle-")).toBe(true);
    expect(statSync(host.data.shmDir!).mode & 0o777).toBe(0o700);
  });

  it("sends a large Table by handle and frees the host segment after the call", async () => {
    expect(await checksum(plugin, idTable(ROWS))).toEqual({ rows: BigInt(ROWS), sum: sumTo(ROWS) });
    expect(host.data.registry.size).toBe(0);
    expect(segmentFiles()).toEqual([]);
  });

  it("returns a TableRef with output 'ref', forwards the same handle, and releases it", async () => {
    const ref = await plugin.invoke("generate", { config: { rows: ROWS }, output: "ref" });
    expect(ref).toBeInstanceOf(TableRef);
    expect(ref!.numRows).toBe(ROWS);
    expect(ref!.id.startsWith(`${plugin.handshake.pid}-`)).toBe(true);
    const seg = host.data.registry.get(ref!.id)!;
    expect(seg.producer.pid).toBe(plugin.handshake.pid);
    expect(await checksum(plugin, ref!)).toEqual({ rows: BigInt(ROWS), sum: sumTo(ROWS) });
    // The forwarded call held the same segment and let go of it; nothing was copied into a new one.
    expect(host.data.registry.size).toBe(1);
    expect([...host.data.registry.get(ref!.id)!.holders.keys()]).toEqual([expect.stringMatching(/^ref:/)]);
    const table = ref!.toTable();
    expect(table.getChild("id")!.get(ROWS - 1)).toBe(BigInt(ROWS - 1));
    ref!.release();
    expect(host.data.registry.size).toBe(0);
    expect(segmentFiles()).toEqual([]);
    const released = await plugin.invoke("released");
    expect(released!.getChild("id")!.toArray()).toContain(ref!.id);
    // Mapped tables stay readable after release (the mapping outlives the unlink).
    expect(table.getChild("id")!.get(7)).toBe(7n);
    await expect(plugin.invoke("checksum", { input: ref! })).rejects.toMatchObject({ code: "SEGMENT_NOT_FOUND" });
  });

  it("maps a large output zero-copy by default and frees its segment at once", async () => {
    const t = await plugin.invoke("generate", { config: { rows: ROWS } });
    expect(t!.numRows).toBe(ROWS);
    expect(t!.getChild("id")!.get(ROWS - 1)).toBe(BigInt(ROWS - 1));
    expect(host.data.registry.size).toBe(0);
    expect(segmentFiles()).toEqual([]);
  });

  it.each([
    ["truncated", "SEGMENT_INVALID"],
    ["misaligned", "SEGMENT_INVALID"],
    ["garbage", "SEGMENT_INVALID"],
    ["missing", "SEGMENT_NOT_FOUND"],
    ["foreign", "SEGMENT_INVALID"],
  ])("refuses a %s segment with %s and leaves no file", async (kind, code) => {
    await expect(plugin.invoke("bad_ref", { config: { kind } })).rejects.toMatchObject({ code });
    expect(host.data.registry.size).toBe(0);
    // A file named with another pid is not this producer's to delete: the test removes the one it made.
    for (const f of segmentFiles().filter((n) => n.startsWith("1-"))) rmSync(join(host.data.shmDir!, f));
    expect(segmentFiles()).toEqual([]);
    expect(await plugin.invoke("generate", { config: { rows: 2 } })).toBeTruthy();
  });

  it("refuses a handle to a file outside HEDDLE_SHM_DIR and never deletes that file", async () => {
    const dir = await temps.make();
    const victim = join(dir, "precious.arrow");
    writeFileSync(victim, tableToIPC(idTable(3), "file"));
    await expect(plugin.invoke("bad_ref", { config: { kind: "outside", path: victim } })).rejects.toMatchObject({ code: "SEGMENT_INVALID" });
    expect(existsSync(victim)).toBe(true);
  });

  it("hands a user's Arrow file by handle and never deletes it", async () => {
    const dir = await temps.make();
    const file = join(dir, "data.arrow");
    writeFileSync(file, tableToIPC(idTable(1000), "file"));
    const ref = host.refFromArrowFile(file);
    expect(ref.ref.path).toBe(file);
    expect(await checksum(plugin, ref)).toEqual({ rows: 1000n, sum: sumTo(1000) });
    ref.release();
    expect(existsSync(file)).toBe(true);
    writeFileSync(join(dir, "stream.arrow"), tableToIPC(idTable(3), "stream"));
    expect(() => host.refFromArrowFile(join(dir, "stream.arrow"))).toThrowError(expect.objectContaining({ code: "SEGMENT_INVALID" }));
    expect(() => host.refFromArrowFile(join(dir, "nope.arrow"))).toThrowError(expect.objectContaining({ code: "SEGMENT_NOT_FOUND" }));
  });

  it("a consumer killed while holding a segment: the call fails, the caller's ref stays valid", async () => {
    const ref = await plugin.invoke("generate", { config: { rows: ROWS }, output: "ref" });
    const oldPid = plugin.handshake.pid;
    await expect(plugin.invoke("die_holding", { input: ref! })).rejects.toMatchObject({ code: "PLUGIN_CRASHED" });
    await expect.poll(() => plugin.pids.length === 1 && plugin.handshake.pid !== oldPid, { timeout: 20_000 }).toBe(true);
    expect([...host.data.registry.get(ref!.id)!.holders.keys()]).toEqual([expect.stringMatching(/^ref:/)]);
    expect(await checksum(plugin, ref!)).toEqual({ rows: BigInt(ROWS), sum: sumTo(ROWS) });
    ref!.release();
    expect(host.data.registry.size).toBe(0);
    expect(segmentFiles()).toEqual([]);
  });

  it("deletes the half-written segment of a plugin that died", async () => {
    const oldPid = plugin.handshake.pid;
    await expect(plugin.invoke("die_mid_write")).rejects.toMatchObject({ code: "PLUGIN_CRASHED" });
    await expect.poll(() => segmentFiles().some((f) => f.startsWith(`${oldPid}-`)), { timeout: 10_000 }).toBe(false);
    await expect.poll(() => plugin.pids.length === 1 && plugin.handshake.pid !== oldPid, { timeout: 20_000 }).toBe(true);
  });

  it("publishes its registry for `heddle-host inspect memory`", async () => {
    const ref = await plugin.invoke("generate", { config: { rows: ROWS }, output: "ref" });
    const { readHostStates } = await import("../src/data/state-file.js");
    await expect.poll(() => readHostStates(host.options.heddleHome).find((s) => s.pid === process.pid)?.segments.length).toBe(1);
    const state = readHostStates(host.options.heddleHome)[0]!;
    expect(state.segments[0]).toMatchObject({ id: ref!.id, rows: ROWS, location: "shm", holders: [expect.stringMatching(/^ref:/)] });
    ref!.release();
    await expect.poll(() => readHostStates(host.options.heddleHome)[0]?.segments.length).toBe(0);
  });
});

describe("budget, spill and fallback", () => {
  it("spills the oldest segment past the budget, still forwards it, and refuses one larger than the budget", async () => {
    const h = new PluginHost({ heddleHome: await temps.make(), healthIntervalMs: 0, handleProcessSignals: false, shmBudget: 4_000_000 });
    try {
      const p = await h.load(PEER);
      const a = await p.invoke("generate", { config: { rows: ROWS }, output: "ref" });
      const b = await p.invoke("generate", { config: { rows: ROWS }, output: "ref" });
      expect(h.data.registry.get(a!.id)!.location).toBe("spill");
      expect(a!.ref.path.startsWith(h.options.spillDir)).toBe(true);
      expect(h.data.registry.get(b!.id)!.location).toBe("shm");
      expect(await checksum(p, a!)).toEqual({ rows: BigInt(ROWS), sum: sumTo(ROWS) });
      await expect(p.invoke("generate", { config: { rows: 600_000 }, output: "ref" })).rejects.toMatchObject({ code: "SEGMENT_TOO_LARGE" });
      a!.release();
      b!.release();
      expect(readdirSync(h.data.shmDir!)).toEqual([]);
      expect(h.data.registry.size).toBe(0);
    } finally {
      await h.close();
    }
  });

  it("falls back to inline/streamed bytes for a plugin without shm, TableRef inputs included", async () => {
    const p = await host.load(join(FIXTURES, "good"));
    try {
      expect(p.handshake.capabilities).not.toContain("shm");
      const ref = await plugin.invoke("generate", { config: { rows: ROWS }, output: "ref" });
      const out = await p.invoke("echo", { input: ref! });
      expect(out!.numRows).toBe(ROWS);
      const asRef = await p.invoke("echo", { input: idTable(10), output: "ref" });
      expect(asRef!.toTable().numRows).toBe(10);
      asRef!.release();
      ref!.release();
      expect(host.data.registry.size).toBe(0);
    } finally {
      await p.stop();
    }
  });

  it("offers no shm when disabled, and removes HEDDLE_SHM_DIR on close", async () => {
    const off = new PluginHost({ heddleHome: await temps.make(), healthIntervalMs: 0, handleProcessSignals: false, shm: false });
    const p = await off.load(PEER);
    expect(p.handshake.capabilities).not.toContain("shm");
    expect((await checksum(p, idTable(ROWS))).rows).toBe(BigInt(ROWS));
    await off.close();
    const on = new PluginHost({ heddleHome: await temps.make(), healthIntervalMs: 0, handleProcessSignals: false });
    const dir = on.data.shmDir!;
    expect(existsSync(dir)).toBe(true);
    await on.close();
    expect(existsSync(dir)).toBe(false);
  });
});
