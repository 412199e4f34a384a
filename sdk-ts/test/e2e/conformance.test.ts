// The TypeScript conformance plugin as a real process, called over its Unix
// socket with the generated grpc-js clients: handshake, describe, resources,
// every step, and every error code the conformance namespace can produce.
import { status as GrpcStatus } from "@grpc/grpc-js";
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/gen/heddle/plugin/v1/errors.js";
import type { HandshakeResponse } from "../../src/gen/heddle/plugin/v1/handshake.js";
import type { DescribeResponse } from "../../src/gen/heddle/plugin/v1/manifest.js";
import { ExecutionMode } from "../../src/gen/heddle/plugin/v1/manifest.js";
import { PluginProcess, removeBuilds } from "../helpers/plugin-process.js";
import { CONFORMANCE_PLUGIN } from "../helpers/paths.js";
import { codeName, inlineOutput, invoke, openResource, rowsOf, typesOf, unary } from "../helpers/rpc.js";

let proc: PluginProcess;

beforeAll(async () => {
  proc = await PluginProcess.start(CONFORMANCE_PLUGIN);
});

afterAll(async () => {
  await proc?.dispose();
  await removeBuilds();
});

const people = () =>
  new arrow.Table({
    id: arrow.vectorFromArray([1n, 2n, 3n], new arrow.Int64()),
    name: arrow.vectorFromArray(["a", "b", null], new arrow.Utf8()),
    score: arrow.vectorFromArray([1.5, 2, 4], new arrow.Float64()),
  });

describe("start and handshake", () => {
  it("prints the handshake line with its socket", () => {
    expect(proc.handshakeLine).toBe(`HEDDLE|1|1|unix|${proc.socketPath}|grpc`);
    expect(proc.stdoutLines).toEqual([proc.handshakeLine]);
  });

  it("answers Handshake with its SDK identity and the common capabilities", async () => {
    const response = await unary<object, HandshakeResponse>(proc.plugin.handshake as never, proc.plugin, {
      protocolVersions: [1],
      hostName: "test",
      hostVersion: "0.0.0",
      capabilities: ["streaming", "cancel", "shm", "commands"],
    });
    expect(response).toMatchObject({ protocolVersion: 1, sdkName: "@heddle/sdk", sdkLanguage: "typescript", pid: proc.child.pid });
    expect([...response.capabilities].sort()).toEqual(["cancel", "commands", "streaming"]);
  });

  it("fails Handshake with FAILED_PRECONDITION / PROTOCOL_MISMATCH when no version is shared", async () => {
    const failure = unary(proc.plugin.handshake as never, proc.plugin, { protocolVersions: [7, 6], hostName: "t", hostVersion: "0", capabilities: [] });
    await expect(failure).rejects.toMatchObject({ code: GrpcStatus.FAILED_PRECONDITION });
    await expect(failure).rejects.toThrow(/PROTOCOL_MISMATCH/);
  });

  it("reports SERVING for the health services '' and 'plugin'", async () => {
    for (const service of ["", "plugin"]) {
      const response = await new Promise<{ status: string }>((resolve, reject) =>
        proc.health.check({ service }, (err, res) => (err ? reject(err) : resolve(res))),
      );
      expect(response.status).toBe("SERVING");
    }
  });
});

describe("Describe", () => {
  let manifest: DescribeResponse["manifest"];
  beforeAll(async () => {
    manifest = (await unary<object, DescribeResponse>(proc.plugin.describe as never, proc.plugin, {})).manifest;
  });

  it("lists the conformance namespace's components", () => {
    expect(manifest).toMatchObject({ namespace: "conformance", version: "1.0.0" });
    expect(manifest!.resources.map((r) => r.name).sort()).toEqual(["counter", "failing"]);
    expect(manifest!.steps.map((s) => s.name).sort()).toEqual(
      ["add_column", "bad_output", "count", "echo", "fail", "fail_typed", "generate", "log", "scale", "sleep", "strict"].sort(),
    );
    expect(manifest!.handlers.map((h) => h.name)).toEqual(["record_errors"]);
    expect(manifest!.commands).toMatchObject([{ name: "ping", mode: ExecutionMode.EXECUTION_MODE_BOTH }]);
  });

  it("publishes strict JSON Schemas with defaults not required", () => {
    const strict = manifest!.steps.find((s) => s.name === "strict")!;
    const schema = JSON.parse(strict.configSchemaJson);
    expect(schema).toMatchObject({ type: "object", required: ["name", "count"], additionalProperties: false });
    expect(schema.properties.count).toMatchObject({ type: "integer", minimum: 1 });
    expect(schema.properties.mode).toMatchObject({ enum: ["a", "b"], default: "a" });
    const echo = JSON.parse(manifest!.steps.find((s) => s.name === "echo")!.configSchemaJson);
    expect(echo).toMatchObject({ type: "object", properties: {}, additionalProperties: false });
    const counter = JSON.parse(manifest!.resources.find((r) => r.name === "counter")!.configSchemaJson);
    expect(counter).toMatchObject({ type: "object", properties: { start: { type: "integer", default: 0 } } });
    expect(counter.required).toBeUndefined();
  });

  it("describes resources bindings, input needs and output schemas", () => {
    const count = manifest!.steps.find((s) => s.name === "count")!;
    expect(count.resources).toEqual([{ binding: "counter", kind: "counter", optional: false }]);
    expect(count.takesInput).toBe(true);
    const generate = manifest!.steps.find((s) => s.name === "generate")!;
    expect(generate.takesInput).toBe(false);
    expect(generate.inputSchema.length).toBe(0);
    const outputSchema = arrow.tableFromIPC(generate.outputSchema).schema;
    expect(outputSchema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(["id:Int64", "label:Utf8"]);
  });
});

describe("steps", () => {
  it("echo returns the input unchanged (the received bytes are sent back, not re-encoded)", async () => {
    const input = people();
    const response = await invoke(proc, "echo", { input });
    const output = inlineOutput(response);
    expect(typesOf(output)).toEqual(typesOf(input));
    expect(rowsOf(output)).toEqual(rowsOf(input));
    const sent = Buffer.from(arrow.tableToIPC(input, "stream"));
    expect(response.output?.kind?.$case === "inline" && Buffer.compare(response.output.kind.inline.ipc, sent)).toBe(0);
  });

  it("add_column appends a utf8 column", async () => {
    const output = inlineOutput(await invoke(proc, "add_column", { input: people(), config: { name: "tag", value: "x" } }));
    expect(typesOf(output)).toEqual({ id: "Int64", name: "Utf8", score: "Float64", tag: "Utf8" });
    expect(rowsOf(output).map((r) => r.tag)).toEqual(["x", "x", "x"]);
  });

  it("scale replaces a column by float64 values in the same position", async () => {
    const output = inlineOutput(await invoke(proc, "scale", { input: people(), config: { column: "id", factor: 2.5 } }));
    expect(typesOf(output)).toEqual({ id: "Float64", name: "Utf8", score: "Float64" });
    expect(rowsOf(output).map((r) => r.id)).toEqual([2.5, 5, 7.5]);
  });

  it("generate makes rows without input", async () => {
    const response = await invoke(proc, "generate", { config: { rows: 3 } });
    expect(response.stats).toMatchObject({ outputRows: 3 });
    const output = inlineOutput(response);
    expect(typesOf(output)).toEqual({ id: "Int64", label: "Utf8" });
    expect(rowsOf(output)).toEqual([
      { id: 0, label: "row-0" },
      { id: 1, label: "row-1" },
      { id: 2, label: "row-2" },
    ]);
  });

  it("generate with rows 0 returns an empty table with the schema", async () => {
    const output = inlineOutput(await invoke(proc, "generate", { config: { rows: 0 } }));
    expect(output.numRows).toBe(0);
    expect(typesOf(output)).toEqual({ id: "Int64", label: "Utf8" });
  });

  it("strict applies the default mode", async () => {
    const output = inlineOutput(await invoke(proc, "strict", { config: { name: "n", count: 2 } }));
    expect(rowsOf(output)).toEqual([{ name: "n", count: 2, mode: "a" }]);
    expect(typesOf(output)).toEqual({ name: "Utf8", count: "Int64", mode: "Utf8" });
  });

  it("log writes a protocol JSON line with the step field and returns the input", async () => {
    const response = await invoke(proc, "log", { input: people(), config: { message: "hello from the log step" } });
    expect(inlineOutput(response).numRows).toBe(3);
    const line = await proc.waitForStderr((l) => l.includes("hello from the log step"));
    const record = JSON.parse(line);
    expect(record).toMatchObject({ level: "info", message: "hello from the log step", fields: { step: "log" } });
    expect(new Date(record.time).toISOString()).toBe(record.time);
  });

  it("count keeps a running total on one counter instance", async () => {
    const instance = await openResource(proc, "counter", { start: 5 });
    const first = inlineOutput(await invoke(proc, "count", { input: people(), resources: { counter: instance } }));
    const second = inlineOutput(await invoke(proc, "count", { input: people(), resources: { counter: instance } }));
    expect(rowsOf(first)).toEqual([{ total: 8 }]);
    expect(rowsOf(second)).toEqual([{ total: 11 }]);
    expect(typesOf(second)).toEqual({ total: "Int64" });
  });

  it("two instances of one kind are independent", async () => {
    const a = await openResource(proc, "counter", {});
    const b = await openResource(proc, "counter", { start: 100 });
    expect(a).not.toBe(b);
    expect(rowsOf(inlineOutput(await invoke(proc, "count", { input: people(), resources: { counter: a } })))).toEqual([{ total: 3 }]);
    expect(rowsOf(inlineOutput(await invoke(proc, "count", { input: people(), resources: { counter: b } })))).toEqual([{ total: 103 }]);
  });

  it("the record_errors handler returns its errors table", async () => {
    const errors = new arrow.Table({
      code: arrow.vectorFromArray(["STEP_FAILED"], new arrow.Utf8()),
      message: arrow.vectorFromArray(["boom"], new arrow.Utf8()),
      component: arrow.vectorFromArray(["fail"], new arrow.Utf8()),
      stack: arrow.vectorFromArray([""], new arrow.Utf8()),
    });
    expect(rowsOf(inlineOutput(await invoke(proc, "record_errors", { input: errors })))).toEqual(rowsOf(errors));
  });

  it("serves many concurrent calls", async () => {
    const responses = await Promise.all(Array.from({ length: 24 }, (_, i) => invoke(proc, "generate", { config: { rows: i } })));
    responses.forEach((response, i) => expect(inlineOutput(response).numRows).toBe(i));
  });
});

describe("error codes", () => {
  const expectError = async (promise: Promise<{ error?: { code: ErrorCode; message: string; field: string; stack: string; component: string } }>) => {
    const response = await promise;
    expect(response.error, "expected an error response").toBeDefined();
    return { ...response.error!, name: codeName(response.error as never) };
  };

  it("UNKNOWN_STEP names the step and lists the existing ones", async () => {
    const error = await expectError(invoke(proc, "nope", {}));
    expect(error.name).toBe("UNKNOWN_STEP");
    expect(error.message).toContain('"nope"');
    expect(error.message).toContain("add_column");
  });

  it("INVALID_CONFIG for a missing required field points at it", async () => {
    const error = await expectError(invoke(proc, "add_column", { input: people(), config: { name: "tag" } }));
    expect(error).toMatchObject({ name: "INVALID_CONFIG", field: "/value", component: "add_column" });
    expect(error.message).toContain('field "value" is required');
  });

  it("INVALID_CONFIG for an unknown property (additionalProperties false)", async () => {
    const error = await expectError(invoke(proc, "echo", { input: people(), config: { extra: 1 } }));
    expect(error).toMatchObject({ name: "INVALID_CONFIG", field: "/extra" });
    expect(error.message).toContain('unknown field "extra"');
  });

  it("INVALID_CONFIG for a wrong type and a value out of range", async () => {
    const typeError = await expectError(invoke(proc, "scale", { input: people(), config: { column: "id", factor: "two" } }));
    expect(typeError).toMatchObject({ name: "INVALID_CONFIG", field: "/factor" });
    const rangeError = await expectError(invoke(proc, "strict", { config: { name: "n", count: 0 } }));
    expect(rangeError).toMatchObject({ name: "INVALID_CONFIG", field: "/count" });
    const enumError = await expectError(invoke(proc, "strict", { config: { name: "n", count: 1, mode: "c" } }));
    expect(enumError).toMatchObject({ name: "INVALID_CONFIG", field: "/mode" });
    const notInteger = await expectError(invoke(proc, "generate", { config: { rows: 1.5 } }));
    expect(notInteger).toMatchObject({ name: "INVALID_CONFIG", field: "/rows" });
  });

  it("INVALID_CONFIG for config JSON that is not an object", async () => {
    expect(await expectError(invoke(proc, "echo", { input: people(), config: "[1, 2]" }))).toMatchObject({ name: "INVALID_CONFIG", field: "" });
    expect(await expectError(invoke(proc, "echo", { input: people(), config: "{not json" }))).toMatchObject({ name: "INVALID_CONFIG" });
  });

  it("MISSING_RESOURCE when a required binding is not given", async () => {
    const error = await expectError(invoke(proc, "count", { input: people() }));
    expect(error.name).toBe("MISSING_RESOURCE");
    expect(error.message).toContain('"counter"');
  });

  it("RESOURCE_NOT_OPEN for an unknown or closed instance id", async () => {
    expect((await expectError(invoke(proc, "count", { input: people(), resources: { counter: "counter-999" } }))).name).toBe("RESOURCE_NOT_OPEN");
    const instance = await openResource(proc, "counter", {});
    const closed = await unary<object, { error?: unknown }>(proc.plugin.closeResource as never, proc.plugin, { instanceId: instance });
    expect(closed.error).toBeUndefined();
    expect((await expectError(invoke(proc, "count", { input: people(), resources: { counter: instance } }))).name).toBe("RESOURCE_NOT_OPEN");
  });

  it("CloseResource of an unknown id answers RESOURCE_NOT_OPEN", async () => {
    const response = await unary<object, { error?: never }>(proc.plugin.closeResource as never, proc.plugin, { instanceId: "nope-1" });
    expect(codeName(response.error)).toBe("RESOURCE_NOT_OPEN");
  });

  it("INVALID_INPUT for bytes that are not Arrow IPC", async () => {
    const garbage = await expectError(invoke(proc, "echo", { input: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) }));
    expect(garbage.name).toBe("INVALID_INPUT");
    expect(garbage.message).toContain("not valid Arrow IPC");
    const empty = await expectError(invoke(proc, "echo", { input: new Uint8Array(0) }));
    expect(empty.name).toBe("INVALID_INPUT");
  });

  it("a call without input gives the step an empty table", async () => {
    const output = inlineOutput(await invoke(proc, "echo", {}));
    expect(output.numRows).toBe(0);
    expect(output.schema.fields).toEqual([]);
  });

  it("STEP_FAILED carries the message and a stack", async () => {
    const byDefault = await expectError(invoke(proc, "fail", {}));
    expect(byDefault).toMatchObject({ name: "STEP_FAILED", message: "failed on purpose", component: "fail" });
    expect(byDefault.stack).toContain("Error: failed on purpose");
    const custom = await expectError(invoke(proc, "fail", { config: { message: "custom boom" } }));
    expect(custom).toMatchObject({ name: "STEP_FAILED", message: "custom boom" });
  });

  it("a typed SDK error chooses its code", async () => {
    expect(await expectError(invoke(proc, "fail_typed", {}))).toMatchObject({ name: "INVALID_INPUT", message: "typed failure" });
  });

  it("INVALID_OUTPUT when a step returns something that is not a table", async () => {
    const error = await expectError(invoke(proc, "bad_output", {}));
    expect(error.name).toBe("INVALID_OUTPUT");
    expect(error.message).toContain("not a table");
  });

  it("checks in the protocol's order: step, config, resources, input", async () => {
    const garbage = new Uint8Array(16).fill(7);
    expect((await expectError(invoke(proc, "nope", { config: { bad: 1 }, input: garbage }))).name).toBe("UNKNOWN_STEP");
    expect((await expectError(invoke(proc, "count", { config: { bad: 1 }, input: garbage }))).name).toBe("INVALID_CONFIG");
    expect((await expectError(invoke(proc, "count", { input: garbage }))).name).toBe("MISSING_RESOURCE");
    expect((await expectError(invoke(proc, "count", { input: garbage, resources: { counter: "counter-404" } }))).name).toBe("RESOURCE_NOT_OPEN");
    const instance = await openResource(proc, "counter", {});
    expect((await expectError(invoke(proc, "count", { input: garbage, resources: { counter: instance } }))).name).toBe("INVALID_INPUT");
  });
});

describe("resources", () => {
  const open = (resource: string, configJson: string) =>
    unary<object, { instanceId: string; error?: never }>(proc.plugin.openResource as never, proc.plugin, { resource, configJson });

  it("UNKNOWN_RESOURCE for a kind the plugin does not have", async () => {
    const response = await open("nope", "{}");
    expect(codeName(response.error)).toBe("UNKNOWN_RESOURCE");
    expect(response.instanceId).toBe("");
  });

  it("RESOURCE_INIT_FAILED when the constructor raises", async () => {
    const response = await open("failing", "{}");
    expect(codeName(response.error)).toBe("RESOURCE_INIT_FAILED");
    expect((response.error as unknown as { message: string }).message).toContain("resource init failed on purpose");
  });

  it("INVALID_CONFIG for a bad resource config", async () => {
    const response = await open("counter", JSON.stringify({ start: "five" }));
    expect(codeName(response.error)).toBe("INVALID_CONFIG");
    expect(response.error).toMatchObject({ field: "/start" });
  });

  it("gives unique instance ids", async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, () => openResource(proc, "counter", {})));
    expect(new Set(ids).size).toBe(5);
  });
});

describe("unary output limit", () => {
  it("answers INVALID_OUTPUT past 16 MiB and tells to use InvokeStream", async () => {
    const response = await invoke(proc, "generate", { config: { rows: 1_000_000 } });
    expect(codeName(response.error)).toBe("INVALID_OUTPUT");
    expect(response.error!.message).toContain("InvokeStream");
  });
});
