// No plugin outlives its host: SIGTERM/SIGINT of the host process stops every
// plugin; a host killed outright is noticed by the plugins (stdin EOF); a
// build in progress dies with the host that started it.
import { readFileSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { runBuildStep } from "../src/runtime/build-command.js";
import { Logger, type LogRecord } from "../src/logger.js";
import type { HostError } from "../src/errors.js";
import { FIXTURES, REPO, TempDirs, writeFiles } from "./helpers.js";
import { groupMembers, isAlive } from "../../test/fixtures/_lib/processes.js";

const temp = new TempDirs();
afterAll(() => temp.cleanup());

/** Starts a host process that loads `fixture` and prints the plugin's pid. */
async function hostProcess(fixture: string) {
  const script = join(await temp.make(), "host.mjs");
  await writeFiles(join(script, ".."), {
    "host.mjs": `import { PluginHost } from ${JSON.stringify(join(REPO, "host", "dist", "index.js"))};
const host = new PluginHost();
const plugin = await host.load(${JSON.stringify(join(FIXTURES, fixture))});
console.log(JSON.stringify({ pids: plugin.pids }));
setInterval(() => {}, 1000);
`,
  });
  const child = execa("node", [script], { reject: false });
  const pids = await new Promise<number[]>((resolve) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve((JSON.parse(out.split("\n")[0]!) as { pids: number[] }).pids);
    });
  });
  return { child, pids };
}

describe("host process exit", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("%s to the host stops its plugins' whole process groups", async (signal) => {
    const { child, pids } = await hostProcess("leaves-children");
    expect(pids.every(isAlive)).toBe(true);
    child.kill(signal);
    const result = await child;
    expect(result.signal).toBe(signal); // the default action still happens after the cleanup
    expect(pids.flatMap(groupMembers)).toEqual([]);
  });

  it("a host killed with SIGKILL: the plugin sees stdin close and exits", async () => {
    const { child, pids } = await hostProcess("good");
    // A host killed outright cannot remove its socket folders: the test does.
    const socketDirs = pids.map((pid) => dirname(/HEDDLE_PLUGIN_SOCKET=([^\0]+)/.exec(readFileSync(`/proc/${pid}/environ`, "utf8"))![1]!));
    child.kill("SIGKILL");
    await child;
    await expect.poll(() => pids.filter(isAlive), { timeout: 15_000, interval: 50 }).toEqual([]);
    for (const dir of socketDirs) await rm(dir, { recursive: true, force: true });
  });
});

describe("builds", () => {
  it("aborting kills the build's whole process group and fails with BUILD_FAILED", async () => {
    const logs: LogRecord[] = [];
    const controller = new AbortController();
    const dir = await temp.make();
    const build = runBuildStep({
      plugin: "slow", what: "slow build", command: "sh", args: ["-c", "sleep 30 & echo $! > child.pid; wait"],
      cwd: dir, log: new Logger("info", (r) => logs.push(r)), signal: controller.signal,
    }).catch((e: HostError) => e);
    const pidFile = join(dir, "child.pid");
    await expect.poll(() => readFile(pidFile, "utf8").catch(() => ""), { timeout: 10_000 }).not.toBe("");
    const grandchild = Number(await readFile(pidFile, "utf8"));
    expect(isAlive(grandchild)).toBe(true);
    controller.abort();
    const err = await build;
    expect(err).toMatchObject({ code: "BUILD_FAILED" });
    expect((err as HostError).message).toContain("cancelled");
    await expect.poll(() => isAlive(grandchild), { timeout: 5_000 }).toBe(false);
    expect(logs.some((l) => l.message === "building: slow build")).toBe(true);
  });
});
