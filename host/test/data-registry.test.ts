// Unit tests of the Data Locality Registry on real files in /dev/shm:
// refcounting, free (unlink + ReleaseSegments), budget and spill, cleanup
// after a dead plugin, SEGMENT_TOO_LARGE.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tableFromIPC, tableToIPC, Table, vectorFromArray, Int32 } from "apache-arrow";
import { DataLocalityRegistry } from "../src/data/registry.js";

let shmDir: string;
let spillRoot: string;

function segmentFile(name: string, rows: number): { segmentId: string; path: string; offset: number; length: number; numRows: number } {
  const bytes = tableToIPC(new Table({ x: vectorFromArray(Array.from({ length: rows }, (_, i) => i), new Int32()) }), "file");
  const path = join(shmDir, `${name}.arrow`);
  writeFileSync(path, bytes);
  return { segmentId: name, path, offset: 0, length: bytes.length, numRows: rows };
}

beforeEach(() => {
  shmDir = mkdtempSync("/dev/shm/heddle-test-");
  spillRoot = mkdtempSync(join(tmpdir(), "hh-spill-"));
});
afterEach(() => {
  rmSync(shmDir, { recursive: true, force: true });
  rmSync(spillRoot, { recursive: true, force: true });
});

describe("DataLocalityRegistry", () => {
  it("frees a segment when its last holder releases it, and tells its producer", () => {
    const releases: Array<[number, string[]]> = [];
    const reg = new DataLocalityRegistry({ shmDir, spillDir: join(spillRoot, "s"), budgetBytes: 1 << 30, releaseToProducer: (pid, ids) => releases.push([pid, ids]) });
    const ref = segmentFile("4242-1", 10);
    reg.register(ref, { kind: "plugin", plugin: "p", pid: 4242 }, "ref:1");
    reg.hold("4242-1", "call:7", 99);
    reg.release("4242-1", "ref:1");
    expect(existsSync(ref.path)).toBe(true);
    expect(reg.get("4242-1")?.holders.size).toBe(1);
    reg.release("4242-1", "call:7");
    reg.release("4242-1", "call:7"); // idempotent
    expect(existsSync(ref.path)).toBe(false);
    expect(reg.size).toBe(0);
    expect(releases).toEqual([[4242, ["4242-1"]]]);
    expect(() => reg.hold("4242-1", "x")).toThrowError(expect.objectContaining({ code: "SEGMENT_NOT_FOUND" }));
  });

  it("spills the oldest segments past the budget to mappable files and updates their refs", () => {
    const a = segmentFile("1-a", 1000);
    const b = segmentFile("1-b", 1000);
    const c = segmentFile("1-c", 1000);
    const reg = new DataLocalityRegistry({ shmDir, spillDir: join(spillRoot, "s"), budgetBytes: a.length + b.length + 10 });
    reg.register(a, { kind: "host", pid: 1 }, "h");
    reg.register(b, { kind: "host", pid: 1 }, "h");
    expect(reg.get("1-a")?.location).toBe("shm");
    reg.register(c, { kind: "host", pid: 1 }, "h");
    const spilled = reg.get("1-a")!;
    expect(spilled.location).toBe("spill");
    expect(spilled.path.startsWith(join(spillRoot, "s"))).toBe(true);
    expect(existsSync(a.path)).toBe(false);
    expect(reg.refFor("1-a").path).toBe(spilled.path);
    expect(reg.get("1-b")?.location).toBe("shm");
    expect(reg.shmBytes).toBe(b.length + c.length);
    // The spilled file is still a complete Arrow IPC file.
    const t = tableFromIPC(readFileSync(spilled.path));
    expect(t.numRows).toBe(1000);
    expect(reg.snapshot().spilledBytes).toBe(a.length);
    reg.close();
    expect(existsSync(join(spillRoot, "s"))).toBe(false);
    expect(readdirSync(shmDir)).toEqual([]);
  });

  it("refuses a segment larger than the whole budget with SEGMENT_TOO_LARGE and deletes it", () => {
    const reg = new DataLocalityRegistry({ shmDir, spillDir: join(spillRoot, "s"), budgetBytes: 100 });
    const big = segmentFile("5-1", 1000);
    expect(() => reg.register(big, { kind: "plugin", plugin: "p", pid: 5 }, "h")).toThrowError(expect.objectContaining({ code: "SEGMENT_TOO_LARGE" }));
    expect(existsSync(big.path)).toBe(false);
    expect(reg.size).toBe(0);
  });

  it("drops a dead plugin's holds and deletes its unregistered files, but keeps what others hold", () => {
    const reg = new DataLocalityRegistry({ shmDir, spillDir: join(spillRoot, "s"), budgetBytes: 1 << 30 });
    const heldByDead = segmentFile("1-x", 5);
    const heldByBoth = segmentFile("1-y", 5);
    const producedByDead = segmentFile("777-1", 5);
    reg.register(heldByDead, { kind: "host", pid: 1 }, "call:1", 777);
    reg.register(heldByBoth, { kind: "host", pid: 1 }, "call:2", 777);
    reg.hold("1-y", "ref:1");
    reg.register(producedByDead, { kind: "plugin", plugin: "p", pid: 777 }, "ref:2");
    const leftover = join(shmDir, "777-partial.arrow");
    writeFileSync(leftover, "half");
    const otherPid = join(shmDir, "778-1.arrow");
    writeFileSync(otherPid, "not mine");
    const report = reg.processGone(777);
    expect(report.droppedHolds).toBe(2);
    expect(report.freed).toEqual(["1-x"]);
    expect(report.deletedFiles).toEqual([leftover]);
    expect(existsSync(heldByDead.path)).toBe(false);
    expect(existsSync(heldByBoth.path)).toBe(true);
    expect(existsSync(producedByDead.path)).toBe(true); // the host owns it; ref:2 still holds it
    expect(existsSync(otherPid)).toBe(true);
    expect(reg.snapshot().segments.map((s) => s.id).sort()).toEqual(["1-y", "777-1"]);
  });

  it("never deletes a user's file", () => {
    const reg = new DataLocalityRegistry({ shmDir, spillDir: join(spillRoot, "s"), budgetBytes: 10 });
    const user = segmentFile("1-u1", 100);
    reg.register(user, { kind: "user" }, "ref:1", 0, "user");
    reg.release("1-u1", "ref:1");
    expect(reg.size).toBe(0);
    expect(existsSync(user.path)).toBe(true);
  });
});

describe("stale segment folders", () => {
  it("removes the HEDDLE_SHM_DIR of a host that died without closing, and keeps live ones", async () => {
    const { spawnSync } = await import("node:child_process");
    const { removeStaleShmDirs } = await import("../src/data/shm-dir.js");
    const dead = spawnSync("true").pid!; // has exited: its pid no longer runs
    const stale = mkdtempSync(`/dev/shm/heddle-${dead}-`);
    writeFileSync(join(stale, `${dead}-1.arrow`), "x");
    const live = mkdtempSync(`/dev/shm/heddle-${process.pid}-`);
    try {
      const removed = removeStaleShmDirs();
      expect(removed).toContain(stale.split("/").pop());
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      rmSync(live, { recursive: true, force: true });
      rmSync(stale, { recursive: true, force: true });
    }
  });
});
