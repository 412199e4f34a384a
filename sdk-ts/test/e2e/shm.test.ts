// The data plane by handle (docs/protocol.md §8.2-8.3) against the real
// conformance plugin: this test plays the host, writes Arrow IPC files into a
// private HEDDLE_SHM_DIR under /dev/shm, passes SharedMemoryRefs, maps what the
// plugin produces with @heddle/native, and checks every bad-segment code.
// It prints (never asserts) the time of a 100 MB call by handle vs streamed.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Metadata } from "@grpc/grpc-js";
import { mapReadOnly } from "@heddle/native";
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SharedMemoryRef } from "../../src/gen/heddle/plugin/v1/data.js";
import type { HandshakeResponse } from "../../src/gen/heddle/plugin/v1/handshake.js";
import type { InvokeHeader, InvokeResponse, InvokeStreamResponse } from "../../src/gen/heddle/plugin/v1/invoke.js";
import { CONFORMANCE_PLUGIN } from "../helpers/paths.js";
import { PluginProcess, removeBuilds } from "../helpers/plugin-process.js";
import { codeName, inlineOutput, invokeStream, nextCallId, openResource, rowsOf, unary } from "../helpers/rpc.js";

const shmDir = mkdtempSync("/dev/shm/hsdk-e2e-");
let proc: PluginProcess;
let fileCounter = 0;

beforeAll(async () => {
  proc = await PluginProcess.start(CONFORMANCE_PLUGIN, { HEDDLE_SHM_DIR: shmDir });
});

afterAll(async () => {
  await proc?.dispose();
  await removeBuilds();
  rmSync(shmDir, { recursive: true, force: true });
});

const people = () =>
  new arrow.Table({
    id: arrow.vectorFromArray([1n, 2n, 3n], new arrow.Int64()),
    name: arrow.vectorFromArray(["a", "b", null], new arrow.Utf8()),
  });

/** Writes a table as an Arrow IPC file the way a host or producer would; returns its handle. */
function writeSegment(table: arrow.Table, prefix: Uint8Array = new Uint8Array(0)): SharedMemoryRef {
  const ipc = arrow.tableToIPC(table, "file");
  const segmentId = `host-${++fileCounter}`;
  const path = join(shmDir, `${segmentId}.arrow`);
  writeFileSync(path, Buffer.concat([prefix, ipc]));
  return { segmentId, path, offset: prefix.byteLength, length: ipc.byteLength, numRows: table.numRows };
}

function shmHeader(step: string, ref: SharedMemoryRef | undefined, threshold = 0, resources: Record<string, string> = {}): InvokeHeader {
  return {
    callId: nextCallId(),
    step,
    configJson: "{}",
    resources,
    input: ref ? { kind: { $case: "shm", shm: ref } } : undefined,
    timeoutMs: 0,
    shmOutputThreshold: threshold,
    then: [],
  };
}

function invokeHeader(header: InvokeHeader): Promise<InvokeResponse> {
  return unary(proc.plugin.invoke as never, proc.plugin, { header });
}

/** InvokeStream with only a header (shm input: no chunks follow). */
function streamHeaderOnly(header: InvokeHeader, extraChunk?: Buffer): Promise<{ chunks: number; result: InvokeResponse }> {
  return new Promise((resolve, reject) => {
    const call = proc.plugin.invokeStream(new Metadata(), {});
    let chunks = 0;
    let result: InvokeResponse | undefined;
    call.on("data", (message: InvokeStreamResponse) => {
      if (message.msg?.$case === "chunk") chunks++;
      else if (message.msg?.$case === "result") result = message.msg.result;
    });
    call.on("error", reject);
    call.on("end", () => (result ? resolve({ chunks, result }) : reject(new Error("no result"))));
    call.write({ msg: { $case: "header", header } });
    if (extraChunk) call.write({ msg: { $case: "chunk", chunk: { data: extraChunk } } });
    call.end();
  });
}

/** Maps the segment an answer names and decodes it (the test keeps the mapping alive while it reads). */
function shmOutput(response: InvokeResponse): { ref: SharedMemoryRef; table: arrow.Table; bytes: Uint8Array } {
  const kind = response.output?.kind;
  if (kind?.$case !== "shm") throw new Error(`expected an shm output, got ${JSON.stringify(response.error ?? kind)}`);
  const bytes = new Uint8Array(mapReadOnly(kind.shm.path, kind.shm.offset, kind.shm.length));
  return { ref: kind.shm, table: arrow.tableFromIPC(bytes), bytes };
}

describe("negotiation", () => {
  it("announces shm when the host offers it and HEDDLE_SHM_DIR is writable", async () => {
    const offer = { protocolVersions: [1], hostName: "t", hostVersion: "0", capabilities: ["streaming", "shm"] };
    const response = await unary<object, HandshakeResponse>(proc.plugin.handshake as never, proc.plugin, offer);
    expect([...response.capabilities].sort()).toEqual(["shm", "streaming"]);
    const withoutShm = await unary<object, HandshakeResponse>(proc.plugin.handshake as never, proc.plugin, { ...offer, capabilities: ["streaming"] });
    expect(withoutShm.capabilities).toEqual(["streaming"]);
  });
});

describe("shm input", () => {
  it("echo reads a segment written by the host (unary, inline answer)", async () => {
    const response = await invokeHeader(shmHeader("echo", writeSegment(people())));
    expect(response.error).toBeUndefined();
    expect(rowsOf(inlineOutput(response))).toEqual([
      { id: 1, name: "a" },
      { id: 2, name: "b" },
      { id: 3, name: null },
    ]);
  });

  it("reads a segment at a 64-byte offset inside its file", async () => {
    const response = await invokeHeader(shmHeader("echo", writeSegment(people(), new Uint8Array(192))));
    expect(rowsOf(inlineOutput(response))).toHaveLength(3);
  });

  it("echo reads a segment through InvokeStream (no input chunks), answering streamed chunks", async () => {
    const call = proc.plugin.invokeStream(new Metadata(), {});
    const outcome = await new Promise<{ chunks: Buffer[]; result?: InvokeResponse }>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let result: InvokeResponse | undefined;
      call.on("data", (m: InvokeStreamResponse) => (m.msg?.$case === "chunk" ? chunks.push(m.msg.chunk.data) : m.msg?.$case === "result" && (result = m.msg.result)));
      call.on("error", reject);
      call.on("end", () => resolve({ chunks, result }));
      call.write({ msg: { $case: "header", header: shmHeader("echo", writeSegment(people())) } });
      call.end();
    });
    expect(outcome.result?.error).toBeUndefined();
    expect(outcome.result?.output?.kind?.$case).toBe("streamed");
    expect(rowsOf(arrow.tableFromIPC(Buffer.concat(outcome.chunks))).map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it("drops its mapping of the input once it has answered, without waiting for GC", async () => {
    const ref = writeSegment(people());
    const mapped = () => readFileSync(`/proc/${proc.child.pid}/maps`, "utf8").split("\n").filter((l) => l.endsWith(ref.path)).length;
    const response = await invokeHeader(shmHeader("echo", ref));
    expect(rowsOf(inlineOutput(response))).toHaveLength(3);
    // The mapping goes on the plugin's next event-loop turns; poll a bounded number of times.
    for (let i = 0; i < 200 && mapped() > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(mapped()).toBe(0);
  });

  it("count sees every row of a segment", async () => {
    const counter = await openResource(proc, "counter");
    const response = await invokeHeader(shmHeader("count", writeSegment(people()), 0, { counter }));
    expect(rowsOf(inlineOutput(response))).toEqual([{ total: 3 }]);
  });
});

describe("bad segments get their code, and the plugin keeps serving", () => {
  const cases: Array<[string, () => SharedMemoryRef, string]> = [
    ["a missing file", () => ({ segmentId: "gone", path: join(shmDir, "gone.arrow"), offset: 0, length: 1024, numRows: 1 }), "SEGMENT_NOT_FOUND"],
    ["a file shorter than the handle", () => ({ ...writeSegment(people()), length: 1 << 20 }), "SEGMENT_INVALID"],
    ["an offset not a multiple of 64", () => ({ ...writeSegment(people(), new Uint8Array(8)), offset: 8 }), "SEGMENT_INVALID"],
    ["an IPC stream (no ARROW1 magic)", () => {
      const ref = writeSegment(people());
      const stream = arrow.tableToIPC(people(), "stream");
      writeFileSync(ref.path, stream);
      return { ...ref, length: stream.byteLength };
    }, "SEGMENT_INVALID"],
    ["a file with a corrupt footer", () => {
      const ref = writeSegment(people());
      const bytes = Buffer.from(arrow.tableToIPC(people(), "file"));
      const footer = bytes.readInt32LE(bytes.byteLength - 10);
      bytes.fill(0xff, bytes.byteLength - 10 - footer, bytes.byteLength - 10);
      writeFileSync(ref.path, bytes);
      return ref;
    }, "SEGMENT_INVALID"],
  ];

  for (const [what, ref, code] of cases) {
    it(`${what} → ${code} (unary and InvokeStream)`, async () => {
      const unaryAnswer = await invokeHeader(shmHeader("echo", ref()));
      expect(codeName(unaryAnswer.error)).toBe(code);
      expect(unaryAnswer.error?.message).toMatch(/segment/);
      const streamed = await streamHeaderOnly(shmHeader("echo", ref()));
      expect(codeName(streamed.result.error)).toBe(code);
    });
  }

  it("refuses an shm header followed by input chunks with INVALID_INPUT", async () => {
    const answer = await streamHeaderOnly(shmHeader("echo", writeSegment(people())), Buffer.from([1, 2, 3]));
    expect(codeName(answer.result.error)).toBe("INVALID_INPUT");
  });

  it("still serves after all of them", async () => {
    const response = await invokeHeader(shmHeader("echo", writeSegment(people())));
    expect(inlineOutput(response).numRows).toBe(3);
  });
});

describe("shm output", () => {
  it("answers by handle when the output reaches the threshold: a complete IPC file named <pid>-<n>.arrow", async () => {
    const header = { ...shmHeader("generate", undefined, 1024), configJson: JSON.stringify({ rows: 5000 }) };
    const response = await invokeHeader(header);
    const { ref, table } = shmOutput(response);
    expect(ref.segmentId).toMatch(new RegExp(`^${proc.child.pid}-\\d+$`));
    expect(ref.path).toBe(join(shmDir, `${ref.segmentId}.arrow`));
    expect(ref).toMatchObject({ offset: 0, numRows: 5000 });
    expect(response.stats?.outputBytes).toBe(ref.length);
    expect(table.numRows).toBe(5000);
    expect(table.getChild("label")!.get(4999)).toBe("row-4999");
    expect(table.getChild("id")!.get(4999)).toBe(4999n);
    // The host owns it now: it frees the file and tells the producer.
    rmSync(ref.path);
    await unary(proc.controller.releaseSegments as never, proc.controller, { segmentIds: [ref.segmentId] });
  });

  it("stays inline below the threshold", async () => {
    const header = { ...shmHeader("generate", undefined, 1 << 20), configJson: JSON.stringify({ rows: 10 }) };
    expect(inlineOutput(await invokeHeader(header)).numRows).toBe(10);
  });

  it("InvokeStream sends no chunks and the result carries the handle", async () => {
    const header = { ...shmHeader("generate", undefined, 1), configJson: JSON.stringify({ rows: 100 }) };
    const { chunks, result } = await streamHeaderOnly(header);
    expect(chunks).toBe(0);
    const { ref, table } = shmOutput(result);
    expect(table.getChild("label")!.get(99)).toBe("row-99");
    rmSync(ref.path);
  });
});

describe("a 100 MB table by handle", () => {
  const rows = 12_500_000; // one float64 column: 100 MB
  let values: Float64Array;
  let input: SharedMemoryRef;

  beforeAll(() => {
    values = new Float64Array(rows);
    for (let i = 0; i < rows; i++) values[i] = i * 0.5;
    input = writeSegment(new arrow.Table({ x: arrow.makeVector(values) }));
  });

  it("goes in and out by handle with the same content (echo passes its input segment through), and is timed against streaming", async () => {
    const started = performance.now();
    const response = await invokeHeader(shmHeader("echo", input, 1 << 20));
    const byHandleMs = performance.now() - started;
    const { ref, table, bytes } = shmOutput(response);
    expect(ref).toMatchObject({ segmentId: input.segmentId, path: input.path, offset: input.offset, length: input.length });
    expect(ref.length).toBeGreaterThanOrEqual(100_000_000);
    expect(table.numRows).toBe(rows);
    const x = table.getChild("x")!.data[0]!.values as Float64Array;
    expect(x.buffer).toBe(bytes.buffer); // the test reads the plugin's segment in place too
    expect(Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(values.buffer))).toBe(0);

    const counter = await openResource(proc, "counter");
    const countStarted = performance.now();
    const counted = await invokeHeader(shmHeader("count", input, 0, { counter }));
    const countByHandleMs = performance.now() - countStarted;
    expect(rowsOf(inlineOutput(counted))).toEqual([{ total: rows }]);

    const table100 = new arrow.Table({ x: arrow.makeVector(values) });
    const streamStarted = performance.now();
    const streamed = await invokeStream(proc, "echo", { input: table100, chunkBytes: 2 * 1024 * 1024 });
    const streamedMs = performance.now() - streamStarted;
    expect(streamed.output!.numRows).toBe(rows);

    const counter2 = await openResource(proc, "counter");
    const countStreamStarted = performance.now();
    const countStreamed = await invokeStream(proc, "count", { input: table100, resources: { counter: counter2 }, chunkBytes: 2 * 1024 * 1024 });
    const countStreamedMs = performance.now() - countStreamStarted;
    expect(rowsOf(countStreamed.result.output?.kind?.$case === "inline" ? arrow.tableFromIPC(countStreamed.result.output.kind.inline.ipc) : countStreamed.output!)).toEqual([{ total: rows }]);

    console.log(
      `[shm] 100 MB (${(ref.length / 1e6).toFixed(1)} MB IPC): count by handle ${countByHandleMs.toFixed(1)} ms vs streamed ${countStreamedMs.toFixed(1)} ms; ` +
        `echo shm→shm ${byHandleMs.toFixed(1)} ms (the input segment passed through) vs streamed→streamed ${streamedMs.toFixed(1)} ms`,
    );
    rmSync(ref.path);
  });

  it("leaves no segment of the plugin behind once the host removed what it was given", () => {
    const left = readdirSync(shmDir).filter((name) => name.startsWith(`${proc.child.pid}-`));
    expect(left).toEqual([]);
  });
});
