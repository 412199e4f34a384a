// The host against misbehaving plugins: every fixture in fixtures/ is a real
// process speaking real gRPC over a Unix socket; each test states what the
// host must do about one way a plugin can go wrong.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import * as arrow from "apache-arrow";
import { PluginHost, type HostError, type LogRecord, type HostOptions } from "@heddle/host";
import { groupMembers, isAlive } from "./fixtures/_lib/processes.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const fixture = (name: string) => join(fixtures, name);

/** Build cache of these tests (the TypeScript fixture is transpiled into it), removed at the end. */
const heddleHome = mkdtempSync(join(tmpdir(), "hh-fixtures-"));

/** A host recording every log record; closed after each test. */
const hosts: PluginHost[] = [];
function newHost(options: HostOptions = {}): { host: PluginHost; logs: LogRecord[] } {
  const logs: LogRecord[] = [];
  const host = new PluginHost({ logLevel: "trace", logSink: (r) => logs.push(r), shutdownGraceMs: 500, heddleHome, ...options });
  hosts.push(host);
  return { host, logs };
}
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

/** The HostError a promise rejects with (fails the test if it resolves). */
async function failure(p: Promise<unknown>): Promise<HostError> {
  return p.then(
    () => { throw new Error("expected the call to fail, it succeeded"); },
    (err: HostError) => err,
  );
}

const rows = (t: arrow.Table | null) => (t ? t.toArray().map((r) => r.toJSON()) : null);

describe("good: a correct raw plugin", () => {
  it("starts, handshakes, describes, and serves steps, resources, commands", async () => {
    const { host } = newHost();
    const plugin = await host.load(fixture("good"));
    expect(plugin.handshake).toMatchObject({ protocolVersion: 1, sdkLanguage: "node", capabilities: ["streaming", "cancel", "commands"] });
    expect(plugin.manifest.namespace).toBe("good");
    const generate = plugin.manifest.steps.find((s) => s.name === "generate")!;
    expect(generate.takesInput).toBe(false);
    expect(generate.configSchema).toEqual({ type: "object", properties: { rows: { type: "integer" } }, required: ["rows"] });
    expect(generate.outputSchema).toEqual([{ name: "id", type: "Int64", nullable: false }, { name: "label", type: "Utf8", nullable: false }]);
    expect(plugin.manifest.steps.find((s) => s.name === "echo")!.configSchema).toEqual({ type: "object", properties: {}, additionalProperties: false });

    const table = await plugin.invoke("generate", { config: { rows: 3 } });
    expect(rows(table)).toEqual([{ id: 0n, label: "row-0" }, { id: 1n, label: "row-1" }, { id: 2n, label: "row-2" }]);
    expect(rows(await plugin.invoke("echo", { input: table! }))).toEqual(rows(table));
    // Raw IPC bytes are accepted as input too.
    expect(rows(await plugin.invoke("echo", { input: arrow.tableToIPC(table!, "stream") }))).toEqual(rows(table));
    expect(await plugin.invoke("sink", { input: table! })).toBeNull();

    const counter = await plugin.openResource("counter", { start: 5 });
    expect(counter.kind).toBe("counter");
    await plugin.invoke("count", { input: table!, resources: { counter: counter.instanceId } });
    expect(rows(await plugin.invoke("count", { input: table!, resources: { counter: counter.instanceId } }))).toEqual([{ total: 11n }]);
    await plugin.closeResource(counter.instanceId);
    expect((await failure(plugin.invoke("count", { input: table!, resources: { counter: counter.instanceId } }))).code).toBe("RESOURCE_NOT_OPEN");

    const out: string[] = [];
    const cmd = await plugin.runCommand("ping", { context: { message: "hi" }, onStdout: (l) => out.push(`out:${l}`), onStderr: (l) => out.push(`err:${l}`) });
    expect(cmd.status).toEqual({ state: "SUCCEEDED", exitCode: 0 });
    expect(rows(cmd.result)).toEqual([{ message: "hi" }]);
    expect(out).toEqual(["out:ping", "err:ping-err"]);
  });

  it("re-raises the plugin's errors with their code, component, field and stack", async () => {
    const { host } = newHost();
    const plugin = await host.load(fixture("good"));
    const failed = await failure(plugin.invoke("fail", { config: { message: "boom" } }));
    expect(failed).toMatchObject({ code: "STEP_FAILED", message: "boom", plugin: "good", component: "good.fail" });
    expect(failed.pluginStack).toContain("plugin.cjs");
    expect(await failure(plugin.invoke("typed"))).toMatchObject({ code: "INVALID_CONFIG", field: "/name" });
    expect((await failure(plugin.invoke("nope"))).code).toBe("UNKNOWN_STEP");
    expect((await failure(plugin.runCommand("broken"))).code).toBe("COMMAND_FAILED");
    expect((await failure(plugin.runCommand("missing"))).code).toBe("UNKNOWN_COMMAND");
    expect((await failure(plugin.openResource("nope"))).code).toBe("UNKNOWN_RESOURCE");
  });

  it("sends inputs over 4 MiB through InvokeStream and gets them back intact", async () => {
    const { host } = newHost();
    const plugin = await host.load(fixture("good"));
    const n = 700_000; // 5.6 MB of float64
    const input = new arrow.Table({ x: arrow.makeVector(Float64Array.from({ length: n }, (_, i) => i * 1.5)) });
    expect(arrow.tableToIPC(input, "stream").length).toBeGreaterThan(4 * 1024 * 1024);
    const out = await plugin.invoke("echo", { input });
    expect(out!.numRows).toBe(n);
    expect(out!.getChild("x")!.get(n - 1)).toBe((n - 1) * 1.5);
  });

  it("with pool: 2 runs two processes, spreads calls, and opens resources on both", async () => {
    const { host } = newHost();
    const plugin = await host.load(fixture("good"), { pool: 2 });
    expect(plugin.pids).toHaveLength(2);
    const pids = await Promise.all(Array.from({ length: 6 }, () => plugin.invoke("pid")));
    expect(new Set(pids.map((t) => t!.get(0)!.pid))).toEqual(new Set(plugin.pids));
    const counter = await plugin.openResource("counter", { start: 100 });
    const one = new arrow.Table({ x: arrow.vectorFromArray([1], new arrow.Int32()) });
    const totals = await Promise.all(Array.from({ length: 4 }, () => plugin.invoke("count", { input: one, resources: { counter: counter.instanceId } })));
    // Each process holds its own instance, so totals restart from 100 per process.
    expect(totals.map((t) => t!.get(0)!.total).every((v: bigint) => v > 100n && v <= 104n)).toBe(true);
    const all = plugin.pids;
    await plugin.stop();
    expect(all.filter(isAlive)).toEqual([]);
  });
});

describe("start failures", () => {
  it("wrong-cookie: exit status 3 → COOKIE_MISMATCH quoting the plugin", async () => {
    const { host } = newHost();
    const err = await failure(host.load(fixture("wrong-cookie")));
    expect(err.code).toBe("COOKIE_MISMATCH");
    expect(err.message).toContain("HEDDLE_COOKIE_MISMATCH");
    expect(err.hint).toContain("heddle-host");
  });

  it("bad-protocol: a version the host never offered → PROTOCOL_MISMATCH, nothing left running", async () => {
    const { host, logs } = newHost();
    const err = await failure(host.load(fixture("bad-protocol")));
    expect(err.code).toBe("PROTOCOL_MISMATCH");
    expect(err.message).toContain("99");
    const pid = logs.find((l) => l.plugin === "bad-protocol" && l.pid)?.pid;
    if (pid) expect(groupMembers(pid)).toEqual([]);
  });

  it("start-timeout: no handshake line → PLUGIN_START_TIMEOUT, whole process group killed", async () => {
    const { host, logs } = newHost();
    const err = await failure(host.load(fixture("start-timeout")));
    expect(err.code).toBe("PLUGIN_START_TIMEOUT");
    expect(err.message).toContain("1500 ms");
    const started = logs.find((l) => l.message === "started, will never handshake");
    expect(started).toBeTruthy();
    const { pid, child } = started!.fields as { pid: number; child: number };
    expect(isAlive(pid)).toBe(false);
    expect(isAlive(child)).toBe(false);
    expect(groupMembers(pid)).toEqual([]);
  });

  it("crash-on-start: exit 1 → PLUGIN_START_FAILED quoting its stderr", async () => {
    const { host } = newHost();
    const err = await failure(host.load(fixture("crash-on-start")));
    expect(err.code).toBe("PLUGIN_START_FAILED");
    expect(err.message).toContain("exit status 1");
    expect(err.message).toContain("fatal: settings.yaml: no such file or directory");
  });
});

describe("crash-mid-call", () => {
  it("fails the call with PLUGIN_CRASHED, restarts, re-opens resources, and serves the next call", async () => {
    const { host } = newHost();
    const plugin = await host.load(fixture("crash-mid-call"));
    const box = await plugin.openResource("box", { label: "kept" });
    const before = rows(await plugin.invoke("ok", { resources: { box: box.instanceId } }))![0] as { pid: number; label: string };
    expect(before.label).toBe("kept");

    const crashed = await failure(plugin.invoke("crash"));
    expect(crashed.code).toBe("PLUGIN_CRASHED");
    expect(crashed.message).toContain("exit status 7");
    expect(crashed.message).toContain("panic: about to die in the middle of a call");
    expect(isAlive(before.pid)).toBe(false);

    // The same host-side instance id works against the restarted process.
    const after = rows(await plugin.invoke("ok", { resources: { box: box.instanceId } }))![0] as { pid: number; label: string };
    expect(after.pid).not.toBe(before.pid);
    expect(after.label).toBe("kept");

    // The same through InvokeStream.
    const streamed = await failure(plugin.invoke("crash", { stream: true }));
    expect(streamed.code).toBe("PLUGIN_CRASHED");
    expect(streamed.message).toContain("exit status 7");
    expect(rows(await plugin.invoke("ok", { resources: { box: box.instanceId }, stream: true }))![0]).toMatchObject({ label: "kept" });
  });

  it("a plugin failing its health checks is killed and restarted", async () => {
    const { host } = newHost({ healthIntervalMs: 50, healthFailures: 3 });
    const plugin = await host.load(fixture("crash-mid-call"));
    const before = rows(await plugin.invoke("ok"))![0] as { pid: number };
    const crashed = new Promise<{ error: HostError }>((resolve) => plugin.once("crash", resolve));
    await plugin.invoke("sicken");
    const { error } = await crashed;
    expect(error.code).toBe("PLUGIN_CRASHED");
    expect(error.message).toContain("failed 3 health checks in a row");
    expect(error.message).toContain("signal SIGKILL");
    const after = rows(await plugin.invoke("ok"))![0] as { pid: number };
    expect(after.pid).not.toBe(before.pid);
    expect(isAlive(before.pid)).toBe(false);
  });

  it("gives up with PLUGIN_UNAVAILABLE once the restart budget is spent", async () => {
    const { host } = newHost({ maxRestarts: 2, restartInitialDelayMs: 10 });
    const plugin = await host.load(fixture("crash-mid-call"));
    for (let i = 0; i < 3; i++) expect((await failure(plugin.invoke("crash"))).code).toBe("PLUGIN_CRASHED");
    const err = await failure(plugin.invoke("ok"));
    expect(err.code).toBe("PLUGIN_UNAVAILABLE");
    expect(err.message).toContain("keeps failing");
  });
});

describe("hang-in-call", () => {
  it("a call past its timeout fails with DEADLINE_EXCEEDED and the plugin stays usable", async () => {
    const { host } = newHost();
    const plugin = await host.load(fixture("hang-in-call"));
    const err = await failure(plugin.invoke("hang", { timeoutMs: 300 }));
    expect(err.code).toBe("DEADLINE_EXCEEDED");
    expect(err.component).toBe("hang.hang");
    expect((await failure(plugin.invoke("hang", { timeoutMs: 100 }))).code).toBe("DEADLINE_EXCEEDED");
  });

  it("AbortSignal cancels: CANCELLED for the caller, ControllerService.Cancel reaches the plugin", async () => {
    const { host, logs } = newHost();
    const plugin = await host.load(fixture("hang-in-call"));
    const controller = new AbortController();
    const call = failure(plugin.invoke("hang", { signal: controller.signal }));
    await expect.poll(() => logs.some((l) => l.message === "hang started"), { timeout: 10_000 }).toBe(true);
    const callId = logs.find((l) => l.message === "hang started")!.fields!.callId;
    controller.abort();
    expect((await call).code).toBe("CANCELLED");
    await expect.poll(() => logs.some((l) => l.message === "hang saw the cancel" && l.fields?.callId === callId), { timeout: 10_000 }).toBe(true);
    // Already aborted before the call: cancelled without reaching the plugin.
    expect((await failure(plugin.invoke("hang", { signal: AbortSignal.abort() }))).code).toBe("CANCELLED");
  });
});

describe("stdout-noise", () => {
  it("skips stray stdout before the handshake (logged as warnings) and works", async () => {
    const { host, logs } = newHost();
    const plugin = await host.load(fixture("stdout-noise"));
    expect(rows(await plugin.invoke("hello"))).toEqual([{ greeting: "hello" }]);
    const warnings = logs.filter((l) => l.plugin === "stdout-noise" && l.level === "warn").map((l) => l.message);
    expect(warnings).toEqual([
      "stdout before the handshake line (ignored): noise: loading model weights",
      "stdout before the handshake line (ignored): noise: 42% done",
      "stdout before the handshake line (ignored): HEDDLEish but not a handshake",
    ]);
    await expect.poll(() => logs.find((l) => l.message === "noise: after the handshake"), { timeout: 10_000 })
      .toMatchObject({ level: "info", stream: "stdout", plugin: "stdout-noise" });
  });
});

describe("invalid-arrow", () => {
  it("garbage or truncated IPC from the plugin → INVALID_OUTPUT, unary and streamed", async () => {
    const { host } = newHost();
    const plugin = await host.load(fixture("invalid-arrow"));
    for (const stream of [false, true]) {
      const garbage = await failure(plugin.invoke("garbage", { stream }));
      expect(garbage).toMatchObject({ code: "INVALID_OUTPUT", plugin: "invalid-arrow", component: "invalid.garbage" });
      expect((await failure(plugin.invoke("truncated", { stream }))).code).toBe("INVALID_OUTPUT");
    }
  });
});

describe("bad-frames", () => {
  it("a plugin that breaks the frame lane: that call fails with TRANSPORT, later calls use gRPC", async () => {
    const { host, logs } = newHost();
    const plugin = await host.load(fixture("bad-frames"));
    expect(plugin.handshake.capabilities).toContain("frames");
    const broken = await failure(plugin.invoke("where"));
    expect(broken).toMatchObject({ code: "TRANSPORT", plugin: "bad-frames", component: "badframes.where" });
    expect(broken.message).toMatch(/reserved bytes/);
    expect(logs.some((r) => r.level === "warn" && /frame lane closed/.test(r.message))).toBe(true);
    expect(rows(await plugin.invoke("where"))).toEqual([{ lane: "grpc" }]);
  });

  it("with frames: false the host does not offer the lane", async () => {
    const { host } = newHost({ frames: false });
    const plugin = await host.load(fixture("bad-frames"));
    expect(plugin.handshake.capabilities).not.toContain("frames");
    expect(rows(await plugin.invoke("where"))).toEqual([{ lane: "grpc" }]);
  });
});

describe("huge-output", () => {
  it("receives a ~51 MB table through InvokeStream intact", async () => {
    const { host } = newHost();
    const plugin = await host.load(fixture("huge-output"));
    const n = 3_200_000;
    const table = (await plugin.invoke("big", { config: { rows: n }, stream: true }))!;
    expect(table.numRows).toBe(n);
    expect(arrow.tableToIPC(table, "stream").length).toBeGreaterThan(50_000_000);
    const ids = table.getChild("id")!;
    const values = table.getChild("value")!;
    let sum = 0;
    for (const v of values) sum += v as number;
    expect(sum).toBe(0.5 * ((n - 1) * n) / 2);
    for (const i of [0, 1, 1_048_575, 1_048_576, n - 1]) {
      expect(ids.get(i)).toBe(BigInt(i));
      expect(values.get(i)).toBe(i * 0.5);
    }
  });
});

// The same misbehaviour written in Node and in Go (where a plugin forking helpers is common).
const leavesChildren = {
  node: fixture("leaves-children"),
  go: join(fixtures, "..", "fixtures-go", "leaves-children"),
};

describe.each(Object.entries(leavesChildren))("leaves-children (%s)", (_lang, dir) => {
  it("after stop no process of the plugin's group remains, even one ignoring SIGTERM", async () => {
    const { host } = newHost();
    const plugin = await host.load(dir);
    const pids = (await plugin.invoke("pids"))!.getChild("pid")!.toArray() as Int32Array;
    const [leader] = pids;
    expect([...pids].every(isAlive)).toBe(true);
    expect(groupMembers(leader!).length).toBeGreaterThanOrEqual(pids.length);
    await plugin.stop();
    expect([...pids].filter(isAlive)).toEqual([]);
    expect(groupMembers(leader!)).toEqual([]);
  });

  it("host.close() does the same for every plugin it loaded", async () => {
    const { host } = newHost();
    const a = await host.load(dir);
    const b = await host.load(fixture("good"));
    const leaders = [...a.pids, ...b.pids];
    await host.close();
    expect(leaders.flatMap(groupMembers)).toEqual([]);
  });
});

describe("json-logs", () => {
  it("re-emits JSON and plain stderr lines with the plugin name and levels", async () => {
    const { host, logs } = newHost();
    const plugin = await host.load(fixture("json-logs"));
    await plugin.invoke("speak");
    await expect.poll(() => logs.some((l) => l.message === "{ broken json"), { timeout: 10_000 }).toBe(true);
    const mine = logs.filter((l) => l.plugin === "json-logs" && l.stream === "stderr");
    const find = (message: string) => mine.find((l) => l.message === message);
    expect(find("debug from step")).toMatchObject({ level: "debug", fields: { step: "speak" } });
    expect(find("info from step")).toMatchObject({ level: "info", fields: { step: "speak", rows: 1 } });
    expect(find("warn from step")).toMatchObject({ level: "warn" });
    expect(find("error from step")).toMatchObject({ level: "error", fields: { code: 42 } });
    expect(find("hclog style")).toMatchObject({ level: "warn", time: "2026-01-01T00:00:00.000Z", fields: { module: "x" } });
    expect(find("plain text line, not JSON")).toMatchObject({ level: "info", raw: true });
    expect(find("{ broken json")).toMatchObject({ level: "info", raw: true });
    expect(mine.every((l) => typeof l.pid === "number")).toBe(true);
  });
});

afterAll(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
  rmSync(heddleHome, { recursive: true, force: true });
});
