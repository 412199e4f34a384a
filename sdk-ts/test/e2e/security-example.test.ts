// The seed's security example (examples/ts/security) end to end: vault
// resource, hash step, the sample credentials.json as input.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DescribeResponse } from "../../src/gen/heddle/plugin/v1/manifest.js";
import { SECURITY_EXAMPLE } from "../helpers/paths.js";
import { PluginProcess, removeBuilds } from "../helpers/plugin-process.js";
import { codeName, inlineOutput, invoke, invokeStream, openResource, rowsOf, typesOf, unary } from "../helpers/rpc.js";

let proc: PluginProcess;

beforeAll(async () => {
  proc = await PluginProcess.start(SECURITY_EXAMPLE);
});

afterAll(async () => {
  await proc?.dispose();
  await removeBuilds();
});

const credentials = JSON.parse(readFileSync(join(SECURITY_EXAMPLE, "credentials.json"), "utf8")) as Array<{ id: number; password: string }>;
const credentialsTable = () =>
  new arrow.Table({
    id: arrow.vectorFromArray(credentials.map((c) => BigInt(c.id)), new arrow.Int64()),
    password: arrow.vectorFromArray(credentials.map((c) => c.password), new arrow.Utf8()),
  });
const expectedHash = (algorithm: string, key: string, password: string) => createHash(algorithm).update(key).update(password).digest("hex");

describe("security example", () => {
  it("describes the vault resource and the hash step bound to it", async () => {
    const { manifest } = await unary<object, DescribeResponse>(proc.plugin.describe as never, proc.plugin, {});
    expect(manifest!.namespace).toBe("security");
    expect(JSON.parse(manifest!.resources[0]!.configSchemaJson)).toMatchObject({ required: ["api_key"], additionalProperties: false });
    const hash = manifest!.steps.find((s) => s.name === "hash")!;
    expect(hash.resources).toEqual([{ binding: "vault", kind: "vault", optional: false }]);
    expect(JSON.parse(hash.configSchemaJson).properties.algorithm.enum).toEqual(["sha256", "sha384", "sha512"]);
  });

  it("hashes credentials.json into id + hash with the vault key", async () => {
    const vault = await openResource(proc, "vault", { api_key: "k-123" });
    const output = inlineOutput(await invoke(proc, "hash", { input: credentialsTable(), config: { algorithm: "sha256" }, resources: { vault } }));
    expect(typesOf(output)).toEqual({ id: "Int64", hash: "Utf8" });
    expect(rowsOf(output)).toEqual(credentials.map((c) => ({ id: c.id, hash: expectedHash("sha256", "k-123", c.password) })));
  });

  it("gives the same answer through InvokeStream", async () => {
    const vault = await openResource(proc, "vault", { api_key: "other" });
    const { output, result } = await invokeStream(proc, "hash", { input: credentialsTable(), config: { algorithm: "sha512" }, resources: { vault } });
    expect(result.error).toBeUndefined();
    expect(rowsOf(output!).map((r) => r.hash)).toEqual(credentials.map((c) => expectedHash("sha512", "other", c.password)));
  });

  it("reports what the user got wrong with stable codes", async () => {
    const badVault = await unary<object, { error?: { field: string } }>(proc.plugin.openResource as never, proc.plugin, { resource: "vault", configJson: "{}" });
    expect(codeName(badVault.error as never)).toBe("INVALID_CONFIG");
    expect(badVault.error!.field).toBe("/api_key");

    const vault = await openResource(proc, "vault", { api_key: "k" });
    const badAlgorithm = await invoke(proc, "hash", { input: credentialsTable(), config: { algorithm: "md4" }, resources: { vault } });
    expect(badAlgorithm.error).toMatchObject({ field: "/algorithm" });
    expect(codeName((await invoke(proc, "hash", { input: credentialsTable(), config: { algorithm: "sha256" } })).error)).toBe("MISSING_RESOURCE");

    const noPassword = new arrow.Table({ id: arrow.vectorFromArray([1n], new arrow.Int64()) });
    const badInput = await invoke(proc, "hash", { input: noPassword, config: { algorithm: "sha256" }, resources: { vault } });
    expect(codeName(badInput.error)).toBe("INVALID_INPUT");
    expect(badInput.error!.message).toContain('"password"');
  });
});
