// In-process plugins as first-class plugins: host.load() and the CLI on
// runtime "native" libraries, calls off the JS thread, deadlines and cancels
// (a Rust library that watches heddle_invoke_cancellable's flag, and a C
// library that only has heddle_invoke), and the output modes of invoke.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Int64, Table, Utf8, tableFromIPC, tableToIPC, vectorFromArray } from "apache-arrow";
import { InProcessPlugin, Plugin, PluginHost, TableRef, type LoadedPlugin } from "../src/index.js";
import { inProcessAddon } from "../src/inprocess/index.js";
import { CLI, FIXTURES, REPO, TempDirs, pluginJson, writeFiles } from "./helpers.js";

const SECURITY = join(REPO, "examples", "rust", "native-security");
const SLOW = join(FIXTURES, "rust-native-slow");
const temp = new TempDirs();
let home: string;
let host: PluginHost;
let security: LoadedPlugin;
let slow: LoadedPlugin;

const credentials = () => new Table({ id: vectorFromArray([1n, 2n], new Int64()), password: vectorFromArray(["hunter2", "abc"], new Utf8()) });
/** Until every native call has returned (the library really stopped), bounded by the test's timeout. */
const callsEnded = () => vi.waitFor(() => expect(inProcessAddon().runningCalls()).toBe(0), { timeout: 30_000, interval: 5 });

beforeAll(async () => {
  // Share the workspace's cargo target dir so the cdylibs are not rebuilt from scratch.
  process.env.CARGO_TARGET_DIR ??= join(homedir(), ".cache", "heddle", "cargo-target");
  home = await temp.make("hh-inproc-home-");
  host = new PluginHost({ heddleHome: home, handleProcessSignals: false, healthIntervalMs: 0 });
  security = await host.load(SECURITY);
  slow = await host.load(SLOW);
}, 600_000);

afterAll(async () => {
  await host?.close();
  await temp.cleanup();
});

describe("host.load() of a native plugin", () => {
  it("loads it in-process and calls it like any plugin", async () => {
    expect(security).toBeInstanceOf(InProcessPlugin);
    expect(security).not.toBeInstanceOf(Plugin);
    expect(host.plugins).toContain(security);
    expect(security.pluginJson.runtime).toBe("native");
    expect(security.manifest.steps.map((s) => s.name)).toEqual(["hash"]);
    const { instanceId } = await security.openResource("vault", { api_key: "pepper" });
    const out = (await security.invoke("hash", { resources: { vault: instanceId }, input: credentials() }))!;
    expect(out.getChild("id")!.toArray()).toEqual(new BigInt64Array([1n, 2n]));
    expect(out.getChild("hash")!.get(0)).toHaveLength(64);
    await security.closeResource(instanceId);
    await expect(security.closeResource(instanceId)).rejects.toMatchObject({ code: "RESOURCE_NOT_OPEN" });
  });

  it("takes IPC bytes and TableRefs, and answers as ipc or ref", async () => {
    const { instanceId } = await security.openResource("vault", { api_key: "pepper" });
    const opts = { resources: { vault: instanceId } };
    const expected = (await security.invoke("hash", { ...opts, input: credentials() }))!.getChild("hash")!.toArray();
    const fromBytes = await security.invoke("hash", { ...opts, input: tableToIPC(credentials(), "stream"), output: "ipc" });
    expect(fromBytes).toBeInstanceOf(Uint8Array);
    expect(tableFromIPC(fromBytes!).getChild("hash")!.toArray()).toEqual(expected);
    const input = host.refFromTable(credentials());
    const ref = await security.invoke("hash", { ...opts, input, output: "ref" });
    expect(ref).toBeInstanceOf(TableRef);
    expect(ref!.toTable().getChild("hash")!.toArray()).toEqual(expected);
    ref!.release();
    input.release();
    await expect(security.invoke("hash", { ...opts, input: new Uint8Array([1, 2, 3]) })).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });

  it("runs fused stages in turn, and fails an unknown stage before anything runs", async () => {
    const out = (await slow.invoke("nap", { config: { ms: 0 }, then: [{ step: "nap", config: { ms: 0 } }] }))!;
    expect(out.getChild("time_left_ms")!.toArray()).toEqual(new BigInt64Array([-1n]));
    await expect(slow.invoke("nap", { config: { ms: 0 }, then: [{ step: "nope" }] })).rejects.toMatchObject({ code: "UNKNOWN_STEP", component: "slow.nope" });
  });

  it("refuses dev mode (a library cannot be reloaded) with USAGE", async () => {
    await expect(host.load(SECURITY, { watch: true })).rejects.toMatchObject({ code: "USAGE" });
  });
});

describe("deadlines and cancels", () => {
  it("keeps the event loop running during a call: a timer fires and cancels it", async () => {
    const abort = new AbortController();
    let fired = false;
    setTimeout(() => {
      fired = true;
      abort.abort();
    }, 10);
    // An hour-long step: only the timer above, firing during the call, ends it.
    await expect(slow.invoke("nap", { config: { ms: 3_600_000 }, signal: abort.signal })).rejects.toMatchObject({ code: "CANCELLED", component: "slow.nap" });
    expect(fired).toBe(true);
    await callsEnded(); // the Rust step saw the flag through its context and returned
  });

  it("ends a call at its deadline with DEADLINE_EXCEEDED, and the library stops", async () => {
    await expect(slow.invoke("nap", { config: { ms: 3_600_000 }, timeoutMs: 50 })).rejects.toMatchObject({ code: "DEADLINE_EXCEEDED", component: "slow.nap" });
    await callsEnded();
  });

  it("gives the step's context the call's deadline", async () => {
    const out = (await slow.invoke("nap", { config: { ms: 0 }, timeoutMs: 600_000 }))!;
    const left = Number(out.getChild("time_left_ms")!.get(0));
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(600_000);
  });

  it("answers CANCELLED at once for a signal aborted before the call", async () => {
    await expect(slow.invoke("nap", { config: { ms: 0 }, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: "CANCELLED" });
  });

  it("a library without heddle_invoke_cancellable: works, and a deadline answers while the call runs on", async () => {
    const dir = await temp.make("hh-inproc-c-");
    execFileSync("cc", ["-shared", "-fPIC", "-O1", "-o", join(dir, "libslow.so"), join(REPO, "native", "test", "slow-plugin.c")]);
    await writeFiles(dir, { "heddle-plugin.json": pluginJson({ name: "c-slow", runtime: "native", entrypoint: "libslow.so" }) });
    const plain = await host.load(dir);
    const echoed = (await plain.invoke("echo", { input: credentials() }))!;
    expect(echoed.getChild("password")!.toArray()).toEqual(["hunter2", "abc"]);
    // The library cannot see the deadline: the caller gets its answer, the call finishes on its own.
    await expect(plain.invoke("sleep", { config: { ms: 300 }, timeoutMs: 20 })).rejects.toMatchObject({ code: "DEADLINE_EXCEEDED" });
    await callsEnded();
    await plain.stop();
    expect(host.plugins).not.toContain(plain);
    await expect(plain.invoke("echo", { input: credentials() })).rejects.toMatchObject({ code: "PLUGIN_UNAVAILABLE" });
  });
});

describe("the CLI on a native plugin", () => {
  const cli = (args: string[]) => execa("node", [CLI, ...args], { reject: false, env: { HEDDLE_HOME: home } });

  it("calls a step with an input file, and by handle with an Arrow file", async () => {
    const json = join(home, "rows.json");
    writeFileSync(json, JSON.stringify([{ id: 1, password: "hunter2" }]));
    const r = await cli(["call", SECURITY, "security.hash", "--resource", 'vault={"api_key":"pepper"}', "--input", json]);
    expect(r.exitCode, r.stderr).toBe(0);
    const [row] = JSON.parse(r.stdout) as Array<{ id: number; hash: string }>;
    expect(row.id).toBe(1);
    expect(row.hash).toHaveLength(64);
    const file = join(home, "rows.arrow");
    writeFileSync(file, tableToIPC(credentials(), "file"));
    const mapped = await cli(["call", SECURITY, "security.hash", "--resource", 'vault={"api_key":"pepper"}', "--input", file]);
    expect(mapped.exitCode, mapped.stderr).toBe(0);
    expect(JSON.parse(mapped.stdout)[0].hash).toBe(row.hash);
  });

  it("reports a deadline like for a process plugin, and describes the plugin", async () => {
    const late = await cli(["call", SLOW, "slow.nap", "--config", '{"ms":3600000}', "--timeout", "50"]);
    expect(late.exitCode).toBe(1);
    expect(late.stderr).toMatch(/^error\[DEADLINE_EXCEEDED\] slow\.nap: /m);
    const described = await cli(["describe", SLOW]);
    expect(described.exitCode, described.stderr).toBe(0);
    const out = JSON.parse(described.stdout);
    expect(out.namespace).toBe("slow");
    expect(out.plugin).toMatchObject({ runtime: "native", name: "rust-native-slow" });
    expect(out.plugin.library).toMatch(/librust_native_slow\.so$/);
    expect(out.handshake).toBeUndefined();
  });
});
