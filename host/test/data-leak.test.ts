// Leak test (issue 4): after many calls by handle and a plugin killed with
// SIGKILL mid-flight, no segment remains in /dev/shm or in the registry.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { Table, makeVector } from "apache-arrow";
import { PluginHost } from "../src/index.js";
import { FIXTURES, TempDirs } from "./helpers.js";

const temps = new TempDirs();
afterAll(() => temps.cleanup());

const hostDirs = () => readdirSync("/dev/shm").filter((n) => n.startsWith(`heddle-${process.pid}-`));

it("leaves no segment behind after N calls and a killed plugin", async () => {
  const before = hostDirs();
  const host = new PluginHost({ heddleHome: await temps.make(), healthIntervalMs: 0, restartInitialDelayMs: 50, handleProcessSignals: false });
  const shmDir = host.data.shmDir!;
  try {
    const plugin = await host.load(join(FIXTURES, "shm-peer"));
    const ids = new BigInt64Array(200_000).map((_, i) => BigInt(i));
    const input = new Table({ id: makeVector(ids) });
    for (let i = 0; i < 10; i++) {
      const ref = await plugin.invoke("echo", { input, output: "ref" }); // host segment in, plugin segment out
      const table = await plugin.invoke("echo", { input: ref! }); // forwarded handle in, mapped output
      expect(table!.numRows).toBe(200_000);
      ref!.release();
    }
    // Some refs are still held when the plugin dies: one it produced, one the host wrote.
    const kept = await plugin.invoke("generate", { config: { rows: 200_000 }, output: "ref" });
    const pending = plugin.invoke("die_holding", { input: kept! });
    await expect(pending).rejects.toMatchObject({ code: "PLUGIN_CRASHED" });
    await expect(plugin.invoke("die_mid_write")).rejects.toMatchObject({ code: "PLUGIN_CRASHED" });
    await expect.poll(() => readdirSync(shmDir).filter((f) => f.endsWith("-partial.arrow")).length, { timeout: 10_000 }).toBe(0);
    expect(host.data.registry.size).toBe(1);
    kept!.release();
    expect(host.data.registry.size).toBe(0);
    expect(readdirSync(shmDir)).toEqual([]);
  } finally {
    await host.close();
  }
  expect(host.data.registry.size).toBe(0);
  expect(hostDirs()).toEqual(before.filter((d) => d !== shmDir.split("/").pop()));
});
