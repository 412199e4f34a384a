// Dev mode: the plugin restarts when its folder changes, and calls made
// around the restart are served without errors.
import { once } from "node:events";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { PluginHost } from "../src/host.js";
import { CLI, FIXTURES, TempDirs, writeFiles } from "./helpers.js";
import { isAlive } from "../../test/fixtures/_lib/processes.js";

const temp = new TempDirs();
const hosts: PluginHost[] = [];
afterEach(async () => { await Promise.all(hosts.splice(0).map((h) => h.close())); });
afterAll(() => temp.cleanup());

/** A plugin whose `version` step answers `tag`. */
function versionPlugin(tag: string): Record<string, string> {
  return {
    "heddle-plugin.json": JSON.stringify({ name: "devme", version: "1.0.0", runtime: "node", entrypoint: "plugin.cjs" }),
    "plugin.cjs": `const { serve, arrow } = require(${JSON.stringify(join(FIXTURES, "_lib", "raw-plugin.cjs"))});
serve({ namespace: "dev", steps: { version: { takesInput: false, run: () => new arrow.Table({ tag: arrow.vectorFromArray([${JSON.stringify(tag)}], new arrow.Utf8()) }) } } });
`,
  };
}

const tagOf = async (p: { invoke(step: string): Promise<unknown> }) =>
  ((await p.invoke("version")) as { get(i: number): { tag: string } }).get(0).tag;

describe("host.load(dir, { watch: true })", () => {
  it("restarts on change; calls during the restart wait and succeed", async () => {
    const dir = await writeFiles(await temp.make(), versionPlugin("v1"));
    const host = new PluginHost({ logLevel: "error", heddleHome: await temp.make("hh-home-") });
    hosts.push(host);
    const plugin = await host.load(dir, { watch: true });
    expect(await tagOf(plugin)).toBe("v1");
    const oldPids = plugin.pids;

    const reloaded = once(plugin, "reloaded");
    await writeFiles(dir, versionPlugin("v2"));
    await reloaded;
    expect(await tagOf(plugin)).toBe("v2");
    expect(oldPids.filter(isAlive)).toEqual([]);

    // An explicit reload with calls racing it: every call is served.
    await writeFiles(dir, versionPlugin("v3"));
    const calls = Array.from({ length: 8 }, () => tagOf(plugin));
    await plugin.reload("test");
    const tags = await Promise.all([...calls, tagOf(plugin)]);
    expect(tags.every((t) => ["v2", "v3"].includes(t))).toBe(true);
    expect(tags.at(-1)).toBe("v3");
  });
});

describe("heddle-host dev", () => {
  it("prints what it does, restarts on change, and stops cleanly on SIGINT", async () => {
    const dir = await writeFiles(await temp.make(), versionPlugin("v1"));
    const child = execa("node", [CLI, "dev", dir], { reject: false, env: { HEDDLE_HOME: await temp.make("hh-home-") } });
    let output = "";
    const waiters: Array<() => void> = [];
    child.stdout!.on("data", (d: Buffer) => { output += d.toString(); waiters.forEach((w) => w()); });
    const lines = () => output.split("\n");
    const waitFor = (pattern: RegExp, count: number) => new Promise<void>((resolve) => {
      const check = () => { if (lines().filter((l) => pattern.test(l)).length >= count) resolve(); };
      waiters.push(check);
      check();
    });
    await waitFor(/ready \(pid \d+\); steps: dev\.version/, 1);
    const firstPid = Number(/ready \(pid (\d+)\)/.exec(lines().find((l) => l.includes("ready (pid"))!)![1]);
    await writeFiles(dir, versionPlugin("v2"));
    await waitFor(/ready \(pid \d+\)/, 2);
    expect(output).toMatch(/\[dev\] change detected \(.*plugin\.cjs.*\); restarting the plugin/);
    expect(output).toContain("[dev] watching");
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode).toBe(0);
    const pids = lines().flatMap((l) => /ready \(pid (\d+)\)/.exec(l)?.[1] ?? []).map(Number);
    expect(pids[0]).toBe(firstPid);
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
