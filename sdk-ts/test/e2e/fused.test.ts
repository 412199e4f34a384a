// Fused calls (docs/protocol.md §5.4) against real plugin processes: a step
// plus InvokeHeader.then stages run in one call, each stage on the previous
// output in memory. The conformance plugin checks results and error codes;
// the extras fixture proves a stage gets the very Table object the previous
// stage returned (no IPC encode/decode between them).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFORMANCE_PLUGIN, EXTRAS_PLUGIN } from "../helpers/paths.js";
import { PluginProcess, removeBuilds } from "../helpers/plugin-process.js";
import { cancelWhenRunning, codeName, inlineOutput, invoke, invokeStream, nextCallId, openResource, rowsOf, typesOf } from "../helpers/rpc.js";

const shmDir = mkdtempSync("/dev/shm/hsdk-fused-");
let conformance: PluginProcess;
let extras: PluginProcess;

beforeAll(async () => {
  [conformance, extras] = await Promise.all([PluginProcess.start(CONFORMANCE_PLUGIN, { HEDDLE_SHM_DIR: shmDir }), PluginProcess.start(EXTRAS_PLUGIN)]);
});

afterAll(async () => {
  await Promise.all([conformance?.dispose(), extras?.dispose()]);
  await removeBuilds();
  rmSync(shmDir, { recursive: true, force: true });
});

const people = () =>
  new arrow.Table({
    id: arrow.vectorFromArray([1n, 2n, 3n], new arrow.Int64()),
    score: arrow.vectorFromArray([1.5, 2, null], new arrow.Float64()),
  });

const chain = [
  { step: "scale", config: { column: "score", factor: 10 } },
  { step: "add_column", config: { name: "second", value: "y" } },
];

describe("a fused call", () => {
  it("add_column | scale | add_column gives what three separate calls give", async () => {
    let separate = inlineOutput(await invoke(conformance, "add_column", { input: people(), config: { name: "first", value: "x" } }));
    for (const stage of chain) separate = inlineOutput(await invoke(conformance, stage.step, { input: separate, config: stage.config }));

    const fused = await invoke(conformance, "add_column", { input: people(), config: { name: "first", value: "x" }, then: chain });
    const output = inlineOutput(fused);
    expect(typesOf(output)).toEqual({ id: "Int64", score: "Float64", first: "Utf8", second: "Utf8" });
    expect(rowsOf(output)).toEqual(rowsOf(separate));
    expect(rowsOf(output)[0]).toEqual({ id: 1, score: 15, first: "x", second: "y" });
    expect(fused.stats?.outputRows).toBe(3);
  });

  it("works the same through InvokeStream", async () => {
    const { result, output } = await invokeStream(conformance, "add_column", { input: people(), config: { name: "first", value: "x" }, then: chain });
    expect(result.error).toBeUndefined();
    expect(result.output?.kind?.$case).toBe("streamed");
    expect(rowsOf(output!)[2]).toEqual({ id: 3, score: null, first: "x", second: "y" });
  });

  it("returns the last stage's output by handle past shm_output_threshold", async () => {
    const response = await invoke(conformance, "generate", { config: { rows: 1000 }, then: [{ step: "add_column", config: { name: "tag", value: "t" } }], shmOutputThreshold: 1 });
    const kind = response.output?.kind;
    expect(kind?.$case).toBe("shm");
    if (kind?.$case !== "shm") return;
    const table = arrow.tableFromIPC(readFileSync(kind.shm.path).subarray(Number(kind.shm.offset), Number(kind.shm.offset + kind.shm.length)));
    expect(table.numRows).toBe(1000);
    expect(rowsOf(table)[999]).toEqual({ id: 999, label: "row-999", tag: "t" });
    rmSync(kind.shm.path);
  });

  it("runs a stage that needs a resource (count with its counter)", async () => {
    const counter = await openResource(conformance, "counter", { start: 5 });
    const then = [{ step: "count", resources: { counter } }];
    expect(rowsOf(inlineOutput(await invoke(conformance, "generate", { config: { rows: 4 }, then })))).toEqual([{ total: 9 }]);
    expect(rowsOf(inlineOutput(await invoke(conformance, "generate", { config: { rows: 2 }, then })))).toEqual([{ total: 11 }]);
  });

  it("hands each stage the very Table object the previous stage returned", async () => {
    const fused = await invoke(extras, "remember", { input: people(), then: [{ step: "same_as_remembered" }] });
    expect(rowsOf(inlineOutput(fused))).toEqual([{ same: true, rows: 3 }]);
    // The control: the same two steps as separate calls go through IPC, so the object differs.
    const first = inlineOutput(await invoke(extras, "remember", { input: people() }));
    expect(rowsOf(inlineOutput(await invoke(extras, "same_as_remembered", { input: first })))).toEqual([{ same: false, rows: 3 }]);
  });
});

describe("errors in a fused call name the failing stage", () => {
  it("an exception in stage 2 is STEP_FAILED with that stage as component", async () => {
    const response = await invoke(conformance, "echo", { input: people(), then: [{ step: "fail", config: { message: "stage two broke" } }, { step: "echo" }] });
    expect(response.error).toMatchObject({ component: "fail", message: "stage two broke" });
    expect(codeName(response.error)).toBe("STEP_FAILED");
    expect(response.error!.stack).not.toBe("");
  });

  it("a bad config in stage 3 is INVALID_CONFIG with its field, before any stage runs", async () => {
    const counter = await openResource(conformance, "counter", { start: 0 });
    const response = await invoke(conformance, "echo", {
      input: people(),
      then: [{ step: "count", resources: { counter } }, { step: "scale", config: { column: "score", factor: "ten" } }],
    });
    expect(codeName(response.error)).toBe("INVALID_CONFIG");
    expect(response.error).toMatchObject({ component: "scale", field: "/factor" });
    // Nothing ran: the counter is still at 0, so counting 3 rows gives 3.
    expect(rowsOf(inlineOutput(await invoke(conformance, "count", { input: people(), resources: { counter } })))).toEqual([{ total: 3 }]);
  });

  it("an unknown stage step is UNKNOWN_STEP naming it", async () => {
    const response = await invoke(conformance, "echo", { input: people(), then: [{ step: "nope" }] });
    expect(codeName(response.error)).toBe("UNKNOWN_STEP");
    expect(response.error).toMatchObject({ component: "nope" });
  });

  it("a stage without its resource is MISSING_RESOURCE naming it", async () => {
    const { result } = await invokeStream(conformance, "echo", { input: people(), then: [{ step: "count" }] });
    expect(codeName(result.error)).toBe("MISSING_RESOURCE");
    expect(result.error).toMatchObject({ component: "count" });
  });

  it("a non-table from a middle stage is INVALID_OUTPUT naming it", async () => {
    const response = await invoke(conformance, "echo", { input: people(), then: [{ step: "bad_output" }, { step: "echo" }] });
    expect(codeName(response.error)).toBe("INVALID_OUTPUT");
    expect(response.error).toMatchObject({ component: "bad_output" });
  });

  it("Cancel stops the whole chain with CANCELLED", async () => {
    const callId = nextCallId();
    const call = invoke(conformance, "echo", { callId, input: people(), then: [{ step: "sleep", config: { ms: 60_000 } }, { step: "echo" }] });
    await cancelWhenRunning(conformance, callId);
    expect(codeName((await call).error)).toBe("CANCELLED");
  });
});
