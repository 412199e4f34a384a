// The frame lane (docs/protocol.md §5.5) of the TypeScript SDK, against the
// conformance plugin process over its real `.frames` socket.
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/gen/heddle/plugin/v1/errors.js";
import { CONFORMANCE_PLUGIN } from "../helpers/paths.js";
import { FrameClient } from "../helpers/frame-client.js";
import { PluginProcess, removeBuilds } from "../helpers/plugin-process.js";
import { cancelWhenRunning, codeName, header, nextCallId, rowsOf, unary } from "../helpers/rpc.js";

let proc: PluginProcess;
let client: FrameClient;

beforeAll(async () => {
  proc = await PluginProcess.start(CONFORMANCE_PLUGIN);
  client = await FrameClient.connect(proc.socketPath);
});

afterAll(async () => {
  client?.close();
  await proc?.dispose();
  await removeBuilds();
});

const table = arrow.tableFromArrays({ id: BigInt64Array.from([1n, 2n, 3n]), name: ["a", "b", "c"] });
const ipc = arrow.tableToIPC(table, "stream");

describe("frame lane", () => {
  it("is announced in the handshake when the host offers it", async () => {
    const offered = await unary(proc.plugin.handshake as never, proc.plugin, { protocolVersions: [1], hostName: "t", hostVersion: "0", capabilities: ["frames"] });
    expect((offered as { capabilities: string[] }).capabilities).toEqual(["frames"]);
    const notOffered = await unary(proc.plugin.handshake as never, proc.plugin, { protocolVersions: [1], hostName: "t", hostVersion: "0", capabilities: ["shm"] });
    expect((notOffered as { capabilities: string[] }).capabilities).not.toContain("frames");
  });

  it("echoes a table sent as the call's payload, answering with a streamed payload", async () => {
    const { response, payload } = await client.call(header("echo", { input: ipc }, "streamed"), ipc);
    expect(response.error).toBeUndefined();
    expect(response.output?.kind?.$case).toBe("streamed");
    expect(rowsOf(arrow.tableFromIPC(payload!))).toEqual([{ id: 1, name: "a" }, { id: 2, name: "b" }, { id: 3, name: "c" }]);
  });

  it("runs the same checks as gRPC Invoke: unknown step, bad config with the field named", async () => {
    const unknown = await client.call(header("nope", { input: ipc }, "streamed"), ipc);
    expect(codeName(unknown.response.error)).toBe("UNKNOWN_STEP");
    const bad = await client.call(header("add_column", { config: { name: 1 }, input: ipc }, "streamed"), ipc);
    expect(codeName(bad.response.error)).toBe("INVALID_CONFIG");
    expect(bad.response.error?.field).toBe("/name");
    expect(bad.payload).toBeUndefined();
  });

  it("refuses a payload the header does not announce as streamed", async () => {
    const { response, payload } = await client.call(header("echo", {}, "streamed"), ipc);
    expect(codeName(response.error)).toBe("INVALID_INPUT");
    expect(response.error?.message).toContain("announces the input as absent");
    expect(payload).toBeUndefined();
  });

  it("runs fused stages in the same call", async () => {
    const { response, payload } = await client.call(
      header("add_column", { input: ipc, config: { name: "x", value: "1" }, then: [{ step: "add_column", config: { name: "y", value: "2" } }] }, "streamed"),
      ipc,
    );
    expect(response.error).toBeUndefined();
    expect(arrow.tableFromIPC(payload!).schema.fields.map((f) => f.name)).toEqual(["id", "name", "x", "y"]);
  });

  it("answers calls in the order they finish, not the order they came", async () => {
    const slow = client.call(header("sleep", { config: { ms: 300 } }, "streamed"));
    const fast = client.call(header("echo", { input: ipc }, "streamed"), ipc);
    expect((await fast).arrival).toBeLessThan((await slow).arrival);
    expect((await slow).response.error).toBeUndefined();
  });

  it("Cancel over gRPC reaches a frame-lane call", async () => {
    const callId = nextCallId();
    const running = client.call(header("sleep", { callId, config: { ms: 10_000 } }, "streamed"));
    await cancelWhenRunning(proc, callId);
    expect(codeName((await running).response.error)).toBe("CANCELLED");
  });

  it("ends a call at its timeout_ms with DEADLINE_EXCEEDED", async () => {
    const started = Date.now();
    const { response } = await client.call(header("sleep", { config: { ms: 10_000 }, timeoutMs: 150 }, "streamed"));
    expect(codeName(response.error)).toBe("DEADLINE_EXCEEDED");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("round-trips a 50 MB payload intact", async () => {
    const n = 3_200_000;
    const big = new arrow.Table({
      id: arrow.makeVector(BigInt64Array.from({ length: n }, (_, i) => BigInt(i))),
      v: arrow.makeVector(Float64Array.from({ length: n }, (_, i) => i / 2)),
    });
    const bytes = arrow.tableToIPC(big, "stream");
    const { response, payload } = await client.call(header("echo", { input: bytes }, "streamed"), bytes);
    expect(response.error).toBeUndefined();
    expect(Buffer.compare(payload!, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))).toBe(0);
  });

  it("closes a connection that does not start with the preface, and one that sends a malformed frame", async () => {
    const noPreface = await FrameClient.connect(proc.socketPath, Buffer.from("GET / HTTP/1.1\r\n\r\n"));
    await noPreface.closed;
    const malformed = await FrameClient.connect(proc.socketPath);
    malformed.socket.write(Buffer.alloc(24, 0xff));
    await malformed.closed;
    // The plugin still serves other connections.
    expect((await client.call(header("echo", { input: ipc }, "streamed"), ipc)).response.error).toBeUndefined();
  });

  it("answers PLUGIN_UNAVAILABLE to calls that arrive during shutdown", async () => {
    const own = await PluginProcess.start(CONFORMANCE_PLUGIN);
    const lane = await FrameClient.connect(own.socketPath);
    try {
      const inFlight = lane.call(header("sleep", { config: { ms: 400 } }, "streamed"));
      await new Promise((r) => setTimeout(r, 50));
      await unary(own.controller.shutdown as never, own.controller, { graceMs: 2000 });
      const refused = await lane.call(header("echo", { input: ipc }, "streamed"), ipc);
      expect(refused.response.error?.code).toBe(ErrorCode.ERROR_CODE_PLUGIN_UNAVAILABLE);
      expect((await inFlight).response.error).toBeUndefined();
      expect((await own.exited).code).toBe(0);
    } finally {
      lane.close();
      await own.dispose();
    }
  });
});
