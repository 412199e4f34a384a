// InvokeStream, RunCommand, Cancel and deadlines against the conformance
// plugin process, over the real socket.
import { status as GrpcStatus } from "@grpc/grpc-js";
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommandState, type RunCommandResponse } from "../../src/gen/heddle/plugin/v1/command.js";
import type { InvokeResponse } from "../../src/gen/heddle/plugin/v1/invoke.js";
import { CONFORMANCE_PLUGIN } from "../helpers/paths.js";
import { PluginProcess, removeBuilds } from "../helpers/plugin-process.js";
import { cancelWhenRunning, codeName, invoke, invokeStream, nextCallId, rowsOf, runCommand, unary } from "../helpers/rpc.js";

const TWO_MIB = 2 * 1024 * 1024;
let proc: PluginProcess;

beforeAll(async () => {
  proc = await PluginProcess.start(CONFORMANCE_PLUGIN);
});

afterAll(async () => {
  await proc?.dispose();
  await removeBuilds();
});

/** ~5 MB of IPC in several record batches. */
function bigTable(rows: number, batches: number): arrow.Table {
  const per = Math.ceil(rows / batches);
  const parts = Array.from({ length: batches }, (_, b) => {
    const ids = BigInt64Array.from({ length: per }, (_, i) => BigInt(b * per + i));
    const labels = Array.from({ length: per }, (_, i) => `label-${b * per + i}-padding-padding`);
    return new arrow.Table({ id: arrow.makeVector(ids), label: arrow.vectorFromArray(labels, new arrow.Utf8()) });
  });
  return parts.slice(1).reduce((all, part) => all.concat(part), parts[0]!);
}

describe("InvokeStream", () => {
  it("streams a multi-MiB input and output in chunks of at most 2 MiB", async () => {
    const input = bigTable(120_000, 6);
    const ipcBytes = arrow.tableToIPC(input, "stream").byteLength;
    expect(ipcBytes).toBeGreaterThan(3 * 1024 * 1024);
    const { chunks, result, output } = await invokeStream(proc, "echo", { input, chunkBytes: 1024 * 1024 });
    expect(result.error).toBeUndefined();
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.byteLength).toBeLessThanOrEqual(TWO_MIB);
    const total = chunks.reduce((sum, c) => sum + c.byteLength, 0);
    expect(result.output?.kind).toEqual({ $case: "streamed", streamed: { totalBytes: total } });
    expect(result.stats).toMatchObject({ outputRows: 120_000, outputBytes: total });
    expect(output!.numRows).toBe(120_000);
    expect(output!.getChild("id")!.get(119_999)).toBe(119_999n);
    expect(output!.getChild("label")!.get(54_321)).toBe("label-54321-padding-padding");
  });

  it("cuts output chunks at IPC message boundaries so each chunk starts a message", async () => {
    const { chunks } = await invokeStream(proc, "echo", { input: bigTable(120_000, 6) });
    for (const chunk of chunks) expect(chunk.readUInt32LE(0)).toBe(0xffffffff); // continuation marker opens every message
  });

  it("streams the output of a step without input (header input unset)", async () => {
    const { result, output, chunks } = await invokeStream(proc, "generate", { config: { rows: 1_000_000 } });
    expect(result.error).toBeUndefined();
    expect(chunks.length).toBeGreaterThan(8);
    expect(output!.numRows).toBe(1_000_000);
    expect(output!.getChild("label")!.get(999_999)).toBe("row-999999");
  });

  it("answers errors as the result: unknown step, bad config, bad input, step failure", async () => {
    const code = (r: InvokeResponse) => codeName(r.error);
    expect(code((await invokeStream(proc, "nope", { input: bigTable(10, 1) })).result)).toBe("UNKNOWN_STEP");
    expect(code((await invokeStream(proc, "add_column", { input: bigTable(10, 1), config: { name: 1 } })).result)).toBe("INVALID_CONFIG");
    expect(code((await invokeStream(proc, "echo", { input: new Uint8Array(5000).fill(3) })).result)).toBe("INVALID_INPUT");
    const failed = (await invokeStream(proc, "fail", {})).result;
    expect(code(failed)).toBe("STEP_FAILED");
    expect(failed.error!.stack).not.toBe("");
  });

  it("answers a streamed sink or error without output chunks", async () => {
    const { chunks, result } = await invokeStream(proc, "bad_output", {});
    expect(chunks).toEqual([]);
    expect(codeName(result.error)).toBe("INVALID_OUTPUT");
    expect(result.output).toBeUndefined();
  });
});

describe("RunCommand", () => {
  const status = (events: RunCommandResponse[]) => {
    const last = events[events.length - 1]!.event;
    if (last?.$case !== "status") throw new Error("the last event is not the status");
    return last.status;
  };
  const resultOf = (events: RunCommandResponse[]) => {
    const bytes = events.flatMap((e) => (e.event?.$case === "resultChunk" ? [e.event.resultChunk.data] : []));
    return arrow.tableFromIPC(Buffer.concat(bytes));
  };

  it("ping streams its lines, its result and a SUCCEEDED status", async () => {
    const events = await runCommand(proc, "ping");
    expect(events.filter((e) => e.event?.$case === "stdoutLine").map((e) => (e.event as { stdoutLine: string }).stdoutLine)).toEqual(["ping"]);
    expect(events.filter((e) => e.event?.$case === "stderrLine").map((e) => (e.event as { stderrLine: string }).stderrLine)).toEqual(["ping-err"]);
    expect(status(events)).toMatchObject({ state: CommandState.COMMAND_STATE_SUCCEEDED, exitCode: 0 });
    expect(rowsOf(resultOf(events))).toEqual([{ message: "pong" }]);
    expect(events.filter((e) => e.event?.$case === "status")).toHaveLength(1);
  });

  it("ping uses the context message", async () => {
    expect(rowsOf(resultOf(await runCommand(proc, "ping", { message: "hi" })))).toEqual([{ message: "hi" }]);
  });

  it("UNKNOWN_COMMAND and INVALID_CONFIG end in a FAILED status", async () => {
    const unknown = status(await runCommand(proc, "nope"));
    expect(unknown.state).toBe(CommandState.COMMAND_STATE_FAILED);
    expect(codeName(unknown.error)).toBe("UNKNOWN_COMMAND");
    const badContext = status(await runCommand(proc, "ping", { message: 5 }));
    expect(codeName(badContext.error)).toBe("INVALID_CONFIG");
    expect(badContext.error!.field).toBe("/message");
    const unknownKey = status(await runCommand(proc, "ping", { other: true }));
    expect(unknownKey.error).toMatchObject({ field: "/other" });
  });
});

describe("cancellation and deadlines", () => {
  it("Cancel reaches a running step: the call answers CANCELLED", async () => {
    const callId = nextCallId();
    const call = invoke(proc, "sleep", { config: { ms: 60_000 }, callId });
    await cancelWhenRunning(proc, callId);
    const response = await call;
    expect(codeName(response.error)).toBe("CANCELLED");
    expect(response.output).toBeUndefined();
  });

  it("Cancel of a call that is not running answers found=false", async () => {
    const response = await unary<object, { found: boolean }>(proc.controller.cancel as never, proc.controller, { callId: "never-started", reason: "" });
    expect(response.found).toBe(false);
  });

  it("Cancel reaches a streamed call", async () => {
    const callId = nextCallId();
    const call = invokeStream(proc, "sleep", { config: { ms: 60_000 }, callId, input: new arrow.Table({ x: arrow.vectorFromArray([1]) }) });
    await cancelWhenRunning(proc, callId);
    expect(codeName((await call).result.error)).toBe("CANCELLED");
  });

  it("timeout_ms makes the SDK answer DEADLINE_EXCEEDED and stops the step", async () => {
    const callId = nextCallId();
    const response = await invoke(proc, "sleep", { config: { ms: 60_000 }, callId, timeoutMs: 150 });
    expect(codeName(response.error)).toBe("DEADLINE_EXCEEDED");
    await waitUntilNotRunning(callId);
  });

  it("a gRPC deadline marks the call cancelled and the step stops", async () => {
    const callId = nextCallId();
    const outcome = await invoke(proc, "sleep", { config: { ms: 60_000 }, callId, grpcDeadlineMs: 150 }).then(
      (response) => codeName(response.error),
      (err: { code: number }) => (err.code === GrpcStatus.DEADLINE_EXCEEDED ? "DEADLINE_EXCEEDED" : `grpc ${err.code}`),
    );
    // Either the SDK's answer or the gRPC status arrives first; both say the deadline passed.
    expect(outcome).toBe("DEADLINE_EXCEEDED");
    await waitUntilNotRunning(callId);
  });

  it("a step that finishes within its deadline succeeds", async () => {
    const response = await invoke(proc, "sleep", { config: { ms: 1 }, timeoutMs: 30_000 });
    expect(response.error).toBeUndefined();
  });

  /** The SDK keeps a call registered while its code runs: found=false means the step returned. */
  async function waitUntilNotRunning(callId: string): Promise<void> {
    for (;;) {
      const { found } = await unary<object, { found: boolean }>(proc.controller.cancel as never, proc.controller, { callId, reason: "probe" });
      if (!found) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
});
