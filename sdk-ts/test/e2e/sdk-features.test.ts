// SDK features beyond the conformance namespace, through the extras fixture
// plugin (test/fixtures/extras) running as a real process.
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommandState, type RunCommandResponse } from "../../src/gen/heddle/plugin/v1/command.js";
import type { DescribeResponse } from "../../src/gen/heddle/plugin/v1/manifest.js";
import { EXTRAS_PLUGIN } from "../helpers/paths.js";
import { PluginProcess, removeBuilds } from "../helpers/plugin-process.js";
import { cancelWhenRunning, codeName, inlineOutput, invoke, nextCallId, openResource, rowsOf, runCommand, unary } from "../helpers/rpc.js";

let proc: PluginProcess;

beforeAll(async () => {
  proc = await PluginProcess.start(EXTRAS_PLUGIN);
});

afterAll(async () => {
  await proc?.dispose();
  await removeBuilds();
});

const finalStatus = (events: RunCommandResponse[]) => {
  const last = events[events.length - 1]?.event;
  if (last?.$case !== "status") throw new Error("no final status");
  return last.status;
};

describe("resources", () => {
  it("injects the single resource as config.resource", async () => {
    const id = await openResource(proc, "store", { name: "main" });
    expect(rowsOf(inlineOutput(await invoke(proc, "inject", { resources: { store: id } })))).toEqual([{ store: "main" }]);
  });

  it("binds several resources and leaves optional ones out", async () => {
    const primary = await openResource(proc, "store", { name: "p" });
    const backup = await openResource(proc, "store", { name: "b" });
    expect(rowsOf(inlineOutput(await invoke(proc, "optional_store", { resources: { primary } })))).toEqual([{ primary: "p", backup: null }]);
    expect(rowsOf(inlineOutput(await invoke(proc, "optional_store", { resources: { primary, backup } })))).toEqual([{ primary: "p", backup: "b" }]);
    const missing = await invoke(proc, "optional_store", { resources: { backup } });
    expect(codeName(missing.error)).toBe("MISSING_RESOURCE");
    expect(missing.error!.message).toContain('"primary"');
  });

  it("answers RESOURCE_NOT_OPEN for an instance of the wrong kind", async () => {
    const other = await openResource(proc, "other", {});
    const response = await invoke(proc, "inject", { resources: { store: other } });
    expect(codeName(response.error)).toBe("RESOURCE_NOT_OPEN");
    expect(response.error!.message).toContain('is a "other"');
  });

  it("runs the close hook on CloseResource", async () => {
    const id = await openResource(proc, "store", { name: "closing" });
    const response = await unary<object, { error?: unknown }>(proc.plugin.closeResource as never, proc.plugin, { instanceId: id });
    expect(response.error).toBeUndefined();
    await proc.waitForStderr((line) => line.includes("store closing closed"));
  });

  it("lists optional bindings in the manifest", async () => {
    const { manifest } = await unary<object, DescribeResponse>(proc.plugin.describe as never, proc.plugin, {});
    expect(manifest!.steps.find((s) => s.name === "optional_store")!.resources).toEqual([
      { binding: "primary", kind: "store", optional: false },
      { binding: "backup", kind: "store", optional: true },
    ]);
  });
});

describe("inputs, outputs and configs", () => {
  it("checks a declared input schema: INVALID_INPUT naming the column", async () => {
    const good = new arrow.Table({ id: arrow.vectorFromArray([1n], new arrow.Int64()), name: arrow.vectorFromArray(["a"], new arrow.Utf8()) });
    expect(inlineOutput(await invoke(proc, "typed_input", { input: good })).numRows).toBe(1);
    const wrongType = new arrow.Table({ id: arrow.vectorFromArray(["1"], new arrow.Utf8()), name: arrow.vectorFromArray(["a"], new arrow.Utf8()) });
    const typeError = await invoke(proc, "typed_input", { input: wrongType });
    expect(codeName(typeError.error)).toBe("INVALID_INPUT");
    expect(typeError.error!.message).toContain('column "id" is Utf8, expected Int64');
    const missing = await invoke(proc, "typed_input", { input: new arrow.Table({ id: arrow.vectorFromArray([1n], new arrow.Int64()) }) });
    expect(missing.error!.message).toContain('column "name" (Utf8) is missing');
    const noInput = await invoke(proc, "typed_input", {});
    expect(codeName(noInput.error)).toBe("INVALID_INPUT");
    expect(noInput.error!.message).toContain("no columns");
  });

  it("checks a declared output schema: INVALID_OUTPUT", async () => {
    const response = await invoke(proc, "wrong_output", {});
    expect(codeName(response.error)).toBe("INVALID_OUTPUT");
    expect(response.error!.message).toContain('column "id" is Utf8, expected Int64');
  });

  it("points INVALID_CONFIG at nested fields and array items", async () => {
    const nestedType = await invoke(proc, "nested", { config: { inner: { x: "1" } } });
    expect(nestedType.error).toMatchObject({ field: "/inner/x" });
    expect(nestedType.error!.message).toContain('field "inner.x"');
    const nestedUnknown = await invoke(proc, "nested", { config: { inner: { x: 1, y: 2 } } });
    expect(nestedUnknown.error).toMatchObject({ field: "/inner/y" });
    expect(nestedUnknown.error!.message).toContain("allowed fields: x");
    const item = await invoke(proc, "nested", { config: { inner: { x: 1 }, items: [{ label: "a" }, { label: 3 }] } });
    expect(item.error).toMatchObject({ field: "/items/1/label" });
    expect(rowsOf(inlineOutput(await invoke(proc, "nested", { config: { inner: { x: 2 } } })))).toEqual([{ x: 2, items: 0 }]);
  });

  it("turns an async rejection into STEP_FAILED with its stack", async () => {
    const response = await invoke(proc, "async_fail", {});
    expect(response.error).toMatchObject({ message: "async failure", component: "async_fail" });
    expect(codeName(response.error)).toBe("STEP_FAILED");
    expect(response.error!.stack).toContain("TypeError: async failure");
  });

  it("answers a sink with no output and no error", async () => {
    const response = await invoke(proc, "sink", { input: new arrow.Table({ x: arrow.vectorFromArray([1]) }) });
    expect(response.error).toBeUndefined();
    expect(response.output).toBeUndefined();
  });
});

describe("cancellation helpers", () => {
  it("ctx.sleep stops as soon as the call is cancelled", async () => {
    const callId = nextCallId();
    const call = invoke(proc, "abortable", { config: { ms: 60_000 }, callId });
    await cancelWhenRunning(proc, callId);
    expect(codeName((await call).error)).toBe("CANCELLED");
  });

  it("ctx.sleep finishes normally without cancellation", async () => {
    expect(rowsOf(inlineOutput(await invoke(proc, "abortable", { config: { ms: 1 } })))).toEqual([{ done: true }]);
  });
});

describe("the client cancelling its gRPC call", () => {
  const stoppedLine = (message: string, callId: string) => (line: string) => line.includes(`"${message}"`) && line.includes(callId);

  it("aborts a running unary step", async () => {
    const callId = nextCallId();
    const header = { callId, step: "abortable", configJson: JSON.stringify({ ms: 60_000 }), resources: {}, input: undefined, timeoutMs: 0, shmOutputThreshold: 0, then: [] };
    const call = proc.plugin.invoke({ header }, () => {});
    await proc.waitForStderr(stoppedLine("abortable started", callId));
    call.cancel();
    const stopped = JSON.parse(await proc.waitForStderr(stoppedLine("abortable stopped", callId)));
    expect(stopped.fields.reason).toContain("the client cancelled the gRPC call");
  });

  it("aborts a running command and keeps the plugin serving", async () => {
    const callId = nextCallId();
    const call = proc.plugin.runCommand({ callId, command: "wait_cmd", contextJson: "{}", clusterJson: JSON.stringify({ context: { region: "x" } }), jobId: "j", resources: {} });
    const errored = new Promise<{ code: number }>((resolve) => call.on("error", resolve));
    await new Promise<void>((resolve) => call.once("data", () => resolve())); // running once its first line arrives
    call.cancel();
    expect((await errored).code).toBe(1); // CANCELLED, as the client sees its own cancel
    const stopped = JSON.parse(await proc.waitForStderr(stoppedLine("wait_cmd stopped", callId)));
    expect(stopped.fields.reason).toContain("the client cancelled the gRPC call");
    expect(rowsOf(inlineOutput(await invoke(proc, "abortable", { config: { ms: 1 } })))).toEqual([{ done: true }]);
  });
});

describe("commands", () => {
  it("a throwing command streams its lines, then COMMAND_FAILED", async () => {
    const events = await runCommand(proc, "fail_cmd");
    expect(events[0]!.event).toEqual({ $case: "stdoutLine", stdoutLine: "about to fail" });
    const status = finalStatus(events);
    expect(status).toMatchObject({ state: CommandState.COMMAND_STATE_FAILED, exitCode: 1 });
    expect(codeName(status.error)).toBe("COMMAND_FAILED");
    expect(status.error!.message).toBe("command failed on purpose");
  });

  it("a typed error keeps its code", async () => {
    expect(codeName(finalStatus(await runCommand(proc, "typed_fail_cmd")).error)).toBe("UNSUPPORTED");
  });

  it("validates the cluster context and passes the cluster to the command", async () => {
    const badCluster = finalStatus(await runCommand(proc, "wait_cmd", {}, { clusterJson: JSON.stringify({ name: "c", context: {} }) }));
    expect(codeName(badCluster.error)).toBe("INVALID_CONFIG");
    expect(badCluster.error!.field).toBe("/context/region");
  });

  it("Cancel stops a running command with a CANCELED status", async () => {
    const callId = nextCallId();
    const run = runCommand(proc, "wait_cmd", {}, { callId, clusterJson: JSON.stringify({ name: "c", context: { region: "eu" } }) });
    await cancelWhenRunning(proc, callId);
    const events = await run;
    expect(events[0]!.event).toEqual({ $case: "stdoutLine", stdoutLine: "region eu" });
    const status = finalStatus(events);
    expect(status.state).toBe(CommandState.COMMAND_STATE_CANCELED);
    expect(codeName(status.error)).toBe("CANCELLED");
  });
});
