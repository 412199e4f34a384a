// fhub/ping through the host, both ways it answers: the `ping.echo` step with
// the real `heddle-host call` CLI, and the Heimdall `ping` command over
// RunCommand with the PluginHost API. A real Python plugin process each time.
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PluginHost } from "../src/host.js";
import type { Plugin } from "../src/plugin/plugin.js";
import { CLI, REPO, TempDirs } from "./helpers.js";

const PING = join(REPO, "fhub", "ping");
const temp = new TempDirs();
let home: string;

beforeAll(async () => {
  home = await temp.make("hh-ping-home-");
});
afterAll(() => temp.cleanup());

function cli(args: string[]) {
  return execa(process.execPath, [CLI, ...args], { reject: false, env: { HEDDLE_HOME: home } });
}

describe("fhub/ping step ping.echo (heddle-host call)", () => {
  it("answers one row {message: 'pong'} by default", async () => {
    const r = await cli(["call", PING, "ping.echo"]);
    expect(r.stderr).not.toMatch(/error\[/);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ message: "pong" }]);
  });

  it("echoes the configured message, as CSV when asked", async () => {
    const r = await cli(["call", PING, "ping.echo", "--config", JSON.stringify({ message: "hello, fhub" }), "--format", "csv"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(["message", '"hello, fhub"']);
  });

  it("rejects a non-string message with INVALID_CONFIG naming the field", async () => {
    const r = await cli(["call", PING, "ping.echo", "--config", JSON.stringify({ message: 7 })]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error\[INVALID_CONFIG\] ping\.echo: .*\/message/m);
  });

  it("declares the step and the command in its manifest", async () => {
    const r = await cli(["describe", PING]);
    expect(r.exitCode, r.stderr).toBe(0);
    const manifest = JSON.parse(r.stdout);
    expect(manifest.namespace).toBe("ping");
    expect(manifest.plugin).toMatchObject({ name: "fhub/ping", version: "1.0.0" });
    expect(manifest.steps.map((s: { name: string }) => s.name)).toEqual(["echo"]);
    expect(manifest.steps[0].outputSchema).toEqual([{ name: "message", type: "Utf8", nullable: true }]);
    expect(manifest.commands).toMatchObject([{ name: "ping", mode: "sync" }]);
  });
});

describe("fhub/ping Heimdall command ping (RunCommand)", () => {
  let host: PluginHost;
  let plugin: Plugin;
  beforeAll(async () => {
    host = new PluginHost({ logLevel: "error", heddleHome: home, handleProcessSignals: false });
    plugin = await host.load(PING, { pool: 1 });
  });
  afterAll(() => host?.close());

  it("writes the message on stdout and returns it as the one-row result", async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const out = await plugin.runCommand("ping", { context: { message: "are you there?" }, onStdout: (l) => stdout.push(l), onStderr: (l) => stderr.push(l) });
    expect(out.status).toMatchObject({ state: "SUCCEEDED", exitCode: 0 });
    expect(stdout).toEqual(["are you there?"]);
    expect(stderr).toEqual([]);
    expect(out.result?.schema.fields.map((f) => f.name)).toEqual(["message"]);
    expect(out.result?.toArray().map((row) => row.toJSON())).toEqual([{ message: "are you there?" }]);
  });

  it("answers 'pong' with an empty context", async () => {
    const out = await plugin.runCommand("ping", {});
    expect(out.result?.getChild("message")?.toArray()).toEqual(["pong"]);
  });

  it("fails with INVALID_CONFIG on a context that does not match its schema", async () => {
    await expect(plugin.runCommand("ping", { context: { message: ["not", "a", "string"] } })).rejects.toMatchObject({ code: "INVALID_CONFIG" });
  });
});
