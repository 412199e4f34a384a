// In-process plugins (runtime "native"): the real security cdylib loaded
// into this process, called through the C ABI with Arrow C Streams.
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Int64, Table, vectorFromArray, Utf8 } from "apache-arrow";
import { InProcessPlugin, inProcessAddon } from "../src/inprocess/index.js";
import { FIXTURES, REPO, TempDirs, passwordTable } from "./helpers.js";

const PLUGIN_DIR = join(REPO, "examples", "rust", "native-security");
const temp = new TempDirs();
let plugin: InProcessPlugin;
let vault: string;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

beforeAll(async () => {
  // Share the workspace's cargo target dir so the cdylib is not rebuilt from scratch.
  process.env.CARGO_TARGET_DIR ??= join(homedir(), ".cache", "heddle", "cargo-target");
  plugin = await InProcessPlugin.load(PLUGIN_DIR, { cacheRoot: await temp.make("hh-inproc-") });
  vault = (await plugin.openResource("vault", { api_key: "pepper" })).instanceId;
}, 300_000);

afterAll(async () => {
  await plugin?.stop();
  await temp.cleanup();
});

describe("in-process native plugin", () => {
  it("describes itself like Describe", () => {
    expect(plugin.manifest.namespace).toBe("security");
    expect(plugin.manifest.resources.map((r) => r.name)).toEqual(["vault"]);
    const hash = plugin.manifest.steps.find((s) => s.name === "hash")!;
    expect(hash.resources).toEqual([{ binding: "vault", kind: "vault", optional: false }]);
    expect(hash.inputSchema?.map((f) => f.name)).toEqual(["id", "password"]);
    expect(hash.configSchema).toMatchObject({ type: "object" });
  });

  it("hashes a table with the vault's pepper, nulls kept", async () => {
    const input = new Table({ id: vectorFromArray([1n, 2n, 3n], new Int64()), password: vectorFromArray(["hunter2", null, "abc"], new Utf8()) });
    const out = (await plugin.invoke("hash", { resources: { vault }, input }))!;
    expect(out.schema.fields.map((f) => f.name)).toEqual(["id", "hash"]);
    expect([...out.getChild("id")!]).toEqual([1n, 2n, 3n]);
    expect(out.getChild("hash")!.toArray()).toEqual([sha256("pepperhunter2"), null, sha256("pepperabc")]);
    const long = (await plugin.invoke("hash", { config: { algorithm: "sha512" }, resources: { vault }, input }))!;
    expect(long.getChild("hash")!.get(0)).toHaveLength(128);
  });

  it("answers the protocol's error codes", async () => {
    const input = new Table({ id: vectorFromArray([1n], new Int64()), password: vectorFromArray(["x"], new Utf8()) });
    await expect(plugin.invoke("nope", { input })).rejects.toMatchObject({ code: "UNKNOWN_STEP" });
    await expect(plugin.invoke("hash", { config: { algorithm: "md5" }, resources: { vault }, input })).rejects.toMatchObject({ code: "INVALID_CONFIG", component: "security.hash" });
    await expect(plugin.invoke("hash", { input })).rejects.toMatchObject({ code: "MISSING_RESOURCE" });
    await expect(plugin.invoke("hash", { resources: { vault: "vault-999" }, input })).rejects.toMatchObject({ code: "RESOURCE_NOT_OPEN" });
    await expect(plugin.invoke("hash", { resources: { vault } })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    const noPassword = new Table({ id: vectorFromArray([1n], new Int64()) });
    await expect(plugin.invoke("hash", { resources: { vault }, input: noPassword })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    const dictionary = new Table({ id: vectorFromArray([1n], new Int64()), password: vectorFromArray(["x"]) });
    await expect(plugin.invoke("hash", { resources: { vault }, input: dictionary })).rejects.toMatchObject({ code: "UNSUPPORTED" });
    await expect(plugin.openResource("safe", {})).rejects.toMatchObject({ code: "UNKNOWN_RESOURCE" });
    await expect(plugin.openResource("vault", { api_key: "" })).rejects.toMatchObject({ code: "INVALID_CONFIG" });
    await expect(plugin.closeResource("vault-999")).rejects.toMatchObject({ code: "RESOURCE_NOT_OPEN" });
  });

  it("refuses a library that is not a Heddle plugin and a folder without a library", async () => {
    const dir = await temp.make("hh-inproc-bad-");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(dir, "heddle-plugin.json"), JSON.stringify({ name: "bad", version: "0.1.0", runtime: "native", entrypoint: join(REPO, "native", "build", "Release", "heddle_native.node") }));
    await expect(InProcessPlugin.load(dir)).rejects.toMatchObject({ code: "HANDSHAKE_FAILED" });
    await writeFile(join(dir, "heddle-plugin.json"), JSON.stringify({ name: "bad", version: "0.1.0", runtime: "native", entrypoint: "missing.so" }));
    await expect(InProcessPlugin.load(dir)).rejects.toMatchObject({ code: "MANIFEST_INVALID" });
    await writeFile(join(dir, "heddle-plugin.json"), JSON.stringify({ name: "bad", version: "0.1.0", runtime: "rust", entrypoint: "." }));
    await expect(InProcessPlugin.load(dir)).rejects.toMatchObject({ code: "MANIFEST_INVALID" });
    expect(FIXTURES).toBeTruthy();
  });

  it("moves a 100 MB table in and out without copying, and releases it", async () => {
    const native = inProcessAddon();
    const rows = 4 * 1024 * 1024;
    // In a function so every reference to the tables is gone when it returns.
    const call = async () => {
      const { input, ids, bytes } = passwordTable(rows);
      expect(bytes).toBeGreaterThan(100_000_000);
      const out = (await plugin.invoke("hash", { resources: { vault }, input }))!;
      expect(out.numRows).toBe(rows);
      // The id column Rust returned is the very memory JS lent it: no copy either way.
      const outIds = out.getChild("id")!.data[0].values as BigInt64Array;
      expect(native.address(outIds)).toBe(native.address(ids));
      expect(outIds[rows - 1]).toBe(BigInt(rows - 1));
      // The hash column is Rust's memory, wrapped (not copied) in an external ArrayBuffer.
      expect(out.getChild("hash")!.data[0].values.byteLength).toBe(rows * 64);
      expect(out.getChild("hash")!.get(rows - 1)).toBe(sha256("pepper" + "a".repeat(16)));
      // Rust still holds the input (its output shares the id buffer) until the output is collected.
      expect(native.liveExports()).toBeGreaterThan(0);
    };
    await call();
    for (let i = 0; i < 20 && native.liveExports() > 0; i++) { gc(); await new Promise((r) => setImmediate(r)); }
    expect(native.liveExports()).toBe(0);
  }, 120_000);

  it("refuses calls once stopped", async () => {
    const again = await InProcessPlugin.load(PLUGIN_DIR, { cacheRoot: await temp.make("hh-inproc-") });
    await again.openResource("vault", { api_key: "k" });
    await again.stop();
    await expect(again.invoke("hash", {})).rejects.toMatchObject({ code: "PLUGIN_UNAVAILABLE" });
  }, 300_000);
});
