// The data-plane parts of the CLI: `call --input file.arrow` hands the plugin
// the user's file by handle, the --shm-* flags, and `inspect memory`.
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Table, makeVector, tableToIPC } from "apache-arrow";
import { PluginHost } from "../src/index.js";
import { CLI, FIXTURES, TempDirs } from "./helpers.js";

const temps = new TempDirs();
const peer = join(FIXTURES, "shm-peer");
let home: string;
let file: string;

beforeAll(async () => {
  home = await temps.make("hh-home-");
  const work = await temps.make("hh-cli-");
  file = join(work, "data.arrow");
  writeFileSync(file, tableToIPC(new Table({ id: makeVector(new BigInt64Array([5n, 6n, 7n])) }), "file"));
});
afterAll(() => temps.cleanup());

const cli = (args: string[], env: Record<string, string> = {}) =>
  execa("node", [CLI, ...args], { reject: false, env: { HEDDLE_HOME: home, ...env } });

describe("CLI data plane", () => {
  it("hands an Arrow IPC file to the plugin by handle to the file itself", async () => {
    const r = await cli(["call", peer, "shmpeer.where", "--input", file]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ kind: "shm", path: file, rows: 3 }]);
    expect(existsSync(file)).toBe(true);
    const sum = await cli(["call", peer, "shmpeer.checksum", "--input", file]);
    expect(JSON.parse(sum.stdout)).toEqual([{ rows: 3, sum: 18 }]);
  });

  it("sends a small JSON input inline, and by handle with --shm-threshold 1", async () => {
    const json = join(home, "rows.json");
    writeFileSync(json, JSON.stringify([{ id: 1 }, { id: 2 }]));
    const inline = await cli(["call", peer, "shmpeer.where", "--input", json]);
    expect(JSON.parse(inline.stdout)[0].kind).toBe("bytes");
    const handle = await cli(["call", peer, "shmpeer.where", "--input", json, "--shm-threshold", "1"]);
    expect(JSON.parse(handle.stdout)[0]).toMatchObject({ kind: "shm", rows: 2 });
  });

  it("refuses bad sizes with USAGE, and a too small budget with SEGMENT_TOO_LARGE", async () => {
    const bad = await cli(["call", peer, "shmpeer.generate", "--config", '{"rows":1}', "--shm-budget", "lots"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^error\[USAGE\] --shm-budget: .*1MiB/m);
    const big = await cli(["call", peer, "shmpeer.generate", "--config", '{"rows":200000}', "--shm-budget", "1KiB", "--shm-threshold", "1KiB"]);
    expect(big.exitCode).toBe(1);
    expect(big.stderr).toMatch(/^error\[SEGMENT_TOO_LARGE\] .*budget/m);
    expect(big.stderr).toMatch(/^hint: .*--shm-budget/m);
  });

  it("`inspect memory` lists the live segments of a running host", async () => {
    const host = new PluginHost({ heddleHome: home, healthIntervalMs: 0, handleProcessSignals: false });
    try {
      const plugin = await host.load(peer);
      const ref = await plugin.invoke("generate", { config: { rows: 200_000 }, output: "ref" });
      await new Promise((r) => setTimeout(r, 300)); // the snapshot is written within 100 ms of a change
      const json = await cli(["inspect", "memory", "--json"]);
      const mine = (JSON.parse(json.stdout) as Array<{ pid: number; segments: Array<{ id: string; holders: string[] }> }>).find((s) => s.pid === process.pid)!;
      expect(mine.segments.map((s) => s.id)).toEqual([ref!.id]);
      const text = await cli(["inspect", "memory"]);
      expect(text.stdout).toContain(`host pid ${process.pid}`);
      expect(text.stdout).toContain(ref!.id);
      expect(text.stdout).toMatch(/200000 rows +shm +by shm-peer \(pid \d+\) +held by ref:\d+/);
      ref!.release();
    } finally {
      await host.close();
    }
    expect(readdirSync(join(home, "run")).filter((n) => n === `memory-${process.pid}.json`)).toEqual([]);
    const none = await cli(["inspect", "memory"]);
    expect(none.stdout).toContain("no running host");
  });
});
