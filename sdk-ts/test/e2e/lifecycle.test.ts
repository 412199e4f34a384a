// Start and stop of a plugin process (docs/protocol.md §2, §10, §11): cookie
// and version refusals with their exit statuses, stale sockets, Shutdown with
// and without in-flight calls, stdin end-of-file, SIGTERM.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { CONFORMANCE_PLUGIN } from "../helpers/paths.js";
import { PluginProcess, removeBuilds, runToExit } from "../helpers/plugin-process.js";
import { codeName, invoke, nextCallId, openResource, rowsOf, inlineOutput, unary } from "../helpers/rpc.js";

const started: PluginProcess[] = [];
async function start(overrides: Record<string, string | undefined> = {}): Promise<PluginProcess> {
  const proc = await PluginProcess.start(CONFORMANCE_PLUGIN, overrides);
  started.push(proc);
  return proc;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((proc) => proc.dispose()));
});
afterAll(removeBuilds);

const shutdown = (proc: PluginProcess, graceMs: number) => unary(proc.controller.shutdown as never, proc.controller, { graceMs });
const healthOf = (proc: PluginProcess) =>
  new Promise<string>((resolve, reject) => proc.health.check({ service: "plugin" }, (err, res) => (err ? reject(err) : resolve(res.status))));

describe("start refusals", () => {
  it("exits 3 with HEDDLE_COOKIE_MISMATCH when the cookie is wrong or missing", async () => {
    for (const cookie of ["not-the-cookie", undefined]) {
      const result = await runToExit(CONFORMANCE_PLUGIN, { HEDDLE_PLUGIN_COOKIE: cookie });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain("HEDDLE_COOKIE_MISMATCH");
      expect(result.stderr).toContain("heddle-host");
      expect(result.stdout).toBe("");
    }
  });

  it("exits 4 with HEDDLE_PROTOCOL_MISMATCH and both version lists when no version is shared", async () => {
    const result = await runToExit(CONFORMANCE_PLUGIN, { HEDDLE_PLUGIN_PROTOCOL_VERSIONS: "2,3" });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("HEDDLE_PROTOCOL_MISMATCH");
    expect(result.stderr).toContain("[2,3]");
    expect(result.stderr).toContain("[1]");
    expect(result.stdout).toBe("");
  });

  it("exits 1 with a clear message when HEDDLE_PLUGIN_SOCKET is missing", async () => {
    const result = await runToExit(CONFORMANCE_PLUGIN, { HEDDLE_PLUGIN_SOCKET: undefined });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("HEDDLE_PLUGIN_SOCKET");
  });
});

describe("start", () => {
  it("picks the highest common version from the host's list", async () => {
    const proc = await start({ HEDDLE_PLUGIN_PROTOCOL_VERSIONS: "3, 1,2" });
    expect(proc.handshakeLine.split("|")[2]).toBe("1");
  });

  it("replaces a stale file at the socket path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hs-stale-"));
    const socket = join(dir, "p.sock");
    writeFileSync(socket, "left over by a crashed run");
    try {
      const proc = await start({ HEDDLE_PLUGIN_SOCKET: socket });
      expect(proc.handshakeLine).toBe(`HEDDLE|1|1|unix|${socket}|grpc`);
      expect(rowsOf(inlineOutput(await invoke(proc, "strict", { config: { name: "x", count: 1 } })))).toEqual([{ name: "x", count: 1, mode: "a" }]);
    } finally {
      await Promise.all(started.splice(0).map((proc) => proc.dispose()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("stop", () => {
  it("Shutdown lets an in-flight call finish, closes resources, removes the socket and exits 0", async () => {
    const proc = await start({ HEDDLE_LOG_LEVEL: "debug" });
    await openResource(proc, "counter", {});
    const callId = nextCallId();
    const call = invoke(proc, "sleep", { config: { ms: 300 }, callId });
    await proc.waitForStderr((line) => line.includes('"call started"') && line.includes(callId));
    await shutdown(proc, 30_000);
    const response = await call;
    expect(response.error).toBeUndefined();
    expect(Number(rowsOf(inlineOutput(response))[0]!.slept_ms)).toBeGreaterThanOrEqual(300);
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(proc.logRecords().some((r) => r.message === "resource closed" && r.fields?.resource === "counter")).toBe(true);
    expect(existsSync(proc.socketPath)).toBe(false);
  });

  it("while stopping: health is NOT_SERVING and new calls are refused; past the grace calls are CANCELLED", async () => {
    const proc = await start({ HEDDLE_LOG_LEVEL: "debug" });
    const callId = nextCallId();
    const call = invoke(proc, "sleep", { config: { ms: 60_000 }, callId });
    await proc.waitForStderr((line) => line.includes('"call started"') && line.includes(callId));
    await shutdown(proc, 1500);
    while ((await healthOf(proc)) !== "NOT_SERVING") await new Promise((resolve) => setTimeout(resolve, 5));
    await expect(invoke(proc, "echo", {})).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
    expect(codeName((await call).error)).toBe("CANCELLED");
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });

  it("exits 0 when stdin reaches end-of-file (the host is gone)", async () => {
    const proc = await start();
    proc.closeStdin();
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });

  it("treats SIGTERM and SIGINT like Shutdown", async () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const proc = await start({ HEDDLE_LOG_LEVEL: "debug" });
      await openResource(proc, "counter", {});
      proc.child.kill(signal);
      expect(await proc.exited).toEqual({ code: 0, signal: null });
      expect(proc.logRecords().some((r) => r.message === "shutting down" && r.fields?.reason === signal)).toBe(true);
      expect(proc.logRecords().some((r) => r.message === "resource closed")).toBe(true);
    }
  });
});
