// In-process plugins written in Go: the security plugin built with
// `go build -buildmode=c-shared` (package heddle/native), loaded into this
// process and called through the C ABI with Arrow C Streams.
//
// Go supports one Go runtime per process (golang/go#18976), so this file
// loads one Go library: the security example's code (package
// examples/go/security/security, as examples/go/native-security exports it)
// plus three test steps (fail, boom, wait), written into a temp module. The
// example folder itself is built, not loaded.
import { createHash } from "node:crypto";
import { copyFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Int64, Table, Utf8, vectorFromArray } from "apache-arrow";
import { InProcessPlugin, exportTable, inProcessAddon } from "../src/inprocess/index.js";
import { resolveLibrary } from "../src/inprocess/library-path.js";
import { Logger } from "../src/logger.js";
import { REPO, TempDirs, passwordTable, pluginJson, writeFiles } from "./helpers.js";

const EXAMPLE = join(REPO, "examples", "go", "native-security");
const temp = new TempDirs();
let fixture: string;
let cacheRoot: string;
let plugin: InProcessPlugin;
let vault: string;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const quiet = new Logger("error", () => {});

/** Waits (a bounded number of turns, collecting garbage) until `done()` holds. */
async function eventually(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200 && !done(); i++) {
    gc();
    await new Promise((r) => setTimeout(r, 25));
  }
  return done();
}

const FIXTURE_MAIN = `package main

import (
	"errors"
	"time"

	"github.com/heddle-host/heddle/examples/go/security/security"
	"github.com/heddle-host/heddle/sdk-go/heddle"
	"github.com/heddle-host/heddle/sdk-go/heddle/native"
)

type none struct{}

func build() *heddle.Plugin {
	p := security.NewPlugin()
	heddle.Step(p, "fail", func(_ *heddle.StepContext, _ none, _ *heddle.Table) (*heddle.Table, error) {
		return nil, errors.New("the step gave up")
	})
	heddle.Step(p, "boom", func(_ *heddle.StepContext, _ none, _ *heddle.Table) (*heddle.Table, error) { panic("kaboom") })
	heddle.Step(p, "wait", func(ctx *heddle.StepContext, _ none, _ *heddle.Table) (*heddle.Table, error) {
		select {
		case <-ctx.Done():
		case <-time.After(30 * time.Second): // a library that never saw the cancel
		}
		return nil, nil
	}, heddle.NoInput())
	return p
}

func init() { native.Export(build) }

func main() {}
`;

beforeAll(async () => {
  cacheRoot = await temp.make("hh-inproc-go-");
  fixture = await writeFiles(await temp.make("hh-inproc-go-fixture-"), {
    "heddle-plugin.json": pluginJson({ name: "native-security-go-test", runtime: "native", entrypoint: "." }),
    // The example's go.mod (its requires stay in step with it), with this module's name and absolute replace paths.
    "go.mod": (await readFile(join(EXAMPLE, "go.mod"), "utf8"))
      .replace(/^module .*$/m, "module example.com/nativesecuritytest")
      .replace("=> ../security", `=> ${join(REPO, "examples", "go", "security")}`)
      .replace("=> ../../../sdk-go", `=> ${join(REPO, "sdk-go")}`),
    "main.go": FIXTURE_MAIN,
  });
  await copyFile(join(EXAMPLE, "go.sum"), join(fixture, "go.sum"));
  plugin = await InProcessPlugin.load(fixture, { cacheRoot, log: quiet });
  vault = (await plugin.openResource("vault", { api_key: "pepper" })).instanceId;
}, 300_000);

afterAll(async () => {
  await plugin?.stop();
  await temp.cleanup();
});

const credentials = () => new Table({ id: vectorFromArray([1n, 2n, 3n], new Int64()), password: vectorFromArray(["hunter2", null, "abc"], new Utf8()) });

describe("in-process Go plugin", () => {
  it("builds a Go module folder as a c-shared library, cached by the hash of its sources", async () => {
    expect(plugin.libraryPath).toMatch(new RegExp(`^${cacheRoot}/native/[0-9a-f]{24}/libnativesecuritytest\\.so$`));
    const built = await resolveLibrary("native-security-go", EXAMPLE, ".", cacheRoot, quiet);
    expect(built).toMatch(/\/libnative-security\.so$/);
    // Unchanged sources: the same cache entry, no build.
    expect(await resolveLibrary("native-security-go", EXAMPLE, ".", cacheRoot, quiet)).toBe(built);
  }, 300_000);

  it("fails with BUILD_FAILED quoting the compiler", async () => {
    const dir = await writeFiles(await temp.make("hh-inproc-go-bad-"), { "go.mod": "module broken\n\ngo 1.26.0\n", "main.go": "package main\n\nfunc main() { undefined() }\n" });
    await expect(resolveLibrary("broken", dir, ".", cacheRoot, quiet)).rejects.toMatchObject({ code: "BUILD_FAILED", message: expect.stringContaining("undefined") });
  }, 120_000);

  it("describes itself like Describe", () => {
    expect(plugin.manifest.namespace).toBe("security");
    expect(plugin.manifest.resources.map((r) => r.name)).toEqual(["vault"]);
    const hash = plugin.manifest.steps.find((s) => s.name === "hash")!;
    expect(hash.resources).toEqual([{ binding: "vault", kind: "vault", optional: false }]);
    expect(hash.inputSchema?.map((f) => f.name)).toEqual(["id", "password"]);
    expect(hash.outputSchema?.map((f) => f.name)).toEqual(["id", "hash"]);
    expect(hash.configSchema).toMatchObject({ type: "object", required: ["algorithm"] });
    expect(plugin.manifest.steps.find((s) => s.name === "wait")?.takesInput).toBe(false);
  });

  it("hashes a table with the vault's pepper, nulls kept", async () => {
    const out = (await plugin.invoke("hash", { config: { algorithm: "sha256" }, resources: { vault }, input: credentials() })) as Table;
    expect(out.schema.fields.map((f) => f.name)).toEqual(["id", "hash"]);
    expect([...out.getChild("id")!]).toEqual([1n, 2n, 3n]);
    expect(out.getChild("hash")!.toArray()).toEqual([sha256("pepperhunter2"), null, sha256("pepperabc")]);
    const long = (await plugin.invoke("hash", { config: { algorithm: "sha512" }, resources: { vault }, input: credentials() })) as Table;
    expect(long.getChild("hash")!.get(0)).toHaveLength(128);
  });

  it("opens and closes resources", async () => {
    const { instanceId } = await plugin.openResource("vault", { api_key: "k" });
    expect(instanceId).toMatch(/^vault-\d+$/);
    await plugin.closeResource(instanceId);
    await expect(plugin.invoke("hash", { config: { algorithm: "sha256" }, resources: { vault: instanceId }, input: credentials() }))
      .rejects.toMatchObject({ code: "RESOURCE_NOT_OPEN" });
    await expect(plugin.closeResource(instanceId)).rejects.toMatchObject({ code: "RESOURCE_NOT_OPEN" });
    await expect(plugin.openResource("safe", {})).rejects.toMatchObject({ code: "UNKNOWN_RESOURCE", component: "security.safe" });
    await expect(plugin.openResource("vault", { api_key: "" })).rejects.toMatchObject({ code: "INVALID_CONFIG", field: "/api_key" });
  });

  it("answers the protocol's error codes, in the order of §5.1", async () => {
    const input = credentials();
    const sha = { algorithm: "sha256" };
    await expect(plugin.invoke("nope", { input })).rejects.toMatchObject({ code: "UNKNOWN_STEP", component: "security.nope" });
    await expect(plugin.invoke("hash", { config: { algorithm: "md5" }, resources: { vault }, input }))
      .rejects.toMatchObject({ code: "INVALID_CONFIG", component: "security.hash", field: "/algorithm" });
    await expect(plugin.invoke("hash", { config: { algorithm: "md5" }, input })).rejects.toMatchObject({ code: "INVALID_CONFIG" });
    await expect(plugin.invoke("hash", { config: sha, input })).rejects.toMatchObject({ code: "MISSING_RESOURCE", component: "security.hash" });
    await expect(plugin.invoke("hash", { config: sha, resources: { vault: "vault-999" }, input })).rejects.toMatchObject({ code: "RESOURCE_NOT_OPEN" });
    await expect(plugin.invoke("hash", { config: sha, resources: { vault } })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    const noPassword = new Table({ id: vectorFromArray([1n], new Int64()) });
    await expect(plugin.invoke("hash", { config: sha, resources: { vault }, input: noPassword })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(plugin.invoke("fail", {})).rejects.toMatchObject({ code: "STEP_FAILED", component: "security.fail", message: "the step gave up" });
    const boom = plugin.invoke("boom", {});
    await expect(boom).rejects.toMatchObject({ code: "STEP_FAILED", component: "security.boom", message: "panic: kaboom" });
    await expect(boom).rejects.toMatchObject({ pluginStack: expect.stringContaining("goroutine") });
    // The host is still fine after a panic.
    expect(await plugin.invoke("hash", { config: sha, resources: { vault }, input })).toBeInstanceOf(Table);
  });

  it("moves a large table in and out without copying, and gives the input back", async () => {
    const native = inProcessAddon();
    const rows = 1024 * 1024;
    // In a function so every reference to the tables is gone when it returns.
    const call = async () => {
      const { input, ids } = passwordTable(rows);
      const out = (await plugin.invoke("hash", { config: { algorithm: "sha256" }, resources: { vault }, input })) as Table;
      expect(out.numRows).toBe(rows);
      // The id column Go returned is the very memory JS lent it: no copy either way.
      const outIds = out.getChild("id")!.data[0].values as BigInt64Array;
      expect(native.address(outIds)).toBe(native.address(ids));
      expect(outIds[rows - 1]).toBe(BigInt(rows - 1));
      // The hash column is Go's memory, wrapped (not copied) in an external ArrayBuffer.
      expect(out.getChild("hash")!.data[0].values.byteLength).toBe(rows * 64);
      expect(out.getChild("hash")!.get(rows - 1)).toBe(sha256("pepper" + "a".repeat(16)));
      // Go still holds the input (its output shares the id buffer) until the output is collected.
      expect(native.liveExports()).toBeGreaterThan(0);
    };
    await call();
    // Once JS drops the output, Go's collector finds the input unused and releases it.
    expect(await eventually(() => native.liveExports() === 0)).toBe(true);
  }, 120_000);

  it("stops a call at cancel and at its deadline, through heddle_invoke_cancellable", async () => {
    const native = inProcessAddon();
    const controller = new AbortController();
    const cancelled = plugin.invoke("wait", { signal: controller.signal });
    expect(native.runningCalls()).toBe(1); // started: its answer can only come after this turn
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: "CANCELLED" });
    await expect(plugin.invoke("wait", { timeoutMs: 50 })).rejects.toMatchObject({ code: "DEADLINE_EXCEEDED" });
    // The library ended both calls (the wait step would otherwise run 30 s).
    expect(await eventually(() => native.runningCalls() === 0)).toBe(true);
  }, 60_000);

  it("answers CANCELLED and DEADLINE_EXCEEDED itself (the flag and deadline_ms reach Go)", async () => {
    const native = inProcessAddon();
    // The library's own answers: the addon hands them over as they are when the call failed.
    const lib = native.open(plugin.libraryPath); // dlopen of the same file: the same library
    const flag = new Int32Array(1);
    native.cancel(flag, 1); // set before the call: the step never runs
    const input = exportTable(credentials());
    const answer = await native.invoke(lib, "hash", '{"algorithm":"sha256"}', JSON.stringify({ vault }), input, flag, 0);
    expect(JSON.parse((answer as { error: string }).error)).toMatchObject({ code: "CANCELLED", component: "security.hash" });
    const deadline = await native.invoke(lib, "wait", "{}", "{}", null, new Int32Array(1), 20);
    expect(JSON.parse((deadline as { error: string }).error)).toMatchObject({ code: "DEADLINE_EXCEEDED", component: "security.wait" });
  }, 60_000);

  it("refuses calls once stopped", async () => {
    const again = await InProcessPlugin.load(fixture, { cacheRoot, log: quiet });
    expect(again.libraryPath).toBe(plugin.libraryPath); // the same library (one Go runtime)
    await again.openResource("vault", { api_key: "k" });
    await again.stop();
    await expect(again.invoke("hash", {})).rejects.toMatchObject({ code: "PLUGIN_UNAVAILABLE" });
  }, 60_000);
});
