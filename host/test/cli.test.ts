// The CLI as users run it: a real `heddle-host` subprocess against real
// fixture plugins. Every failure must print `error[CODE] component: message`
// and a hint on stderr, and exit non-zero (2 for usage errors).
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as arrow from "apache-arrow";
import { CLI, FIXTURES, TempDirs, writeFiles } from "./helpers.js";

const temp = new TempDirs();
let home: string;
let work: string;
beforeAll(async () => {
  home = await temp.make("hh-home-");
  work = await temp.make("hh-cli-");
});
afterAll(() => temp.cleanup());

const good = join(FIXTURES, "good");
function cli(args: string[], input?: string | Buffer) {
  return execa("node", [CLI, ...args], { reject: false, input, env: { HEDDLE_HOME: home }, encoding: input instanceof Buffer ? "buffer" : "utf8" });
}

/** Asserts the error shape and returns stderr. */
async function expectError(args: string[], code: string, exitCode = 1, input?: string): Promise<string> {
  const r = await cli(args, input);
  expect(r.exitCode, String(r.stderr)).toBe(exitCode);
  const stderr = String(r.stderr);
  expect(stderr).toMatch(new RegExp(`^error\\[${code}\\] [^:\\n]+: .+`, "m"));
  expect(stderr).toMatch(/^hint: .+/m);
  return stderr;
}

describe("help", () => {
  it("prints help for the program and each command", async () => {
    for (const args of [["--help"], ["call", "--help"], ["describe", "--help"], ["new", "--help"], ["dev", "--help"]]) {
      const r = await cli(args);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain("Usage: heddle-host");
    }
    expect((await cli(["call", "--help"])).stdout).toContain("--resource <name=json>");
  });
});

describe("describe", () => {
  it("prints the manifest with schemas as objects, Arrow schemas as field lists, and the handshake", async () => {
    const r = await cli(["describe", good]);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.namespace).toBe("good");
    const generate = out.steps.find((s: { name: string }) => s.name === "generate");
    expect(generate.configSchema.required).toEqual(["rows"]);
    expect(generate.outputSchema).toEqual([{ name: "id", type: "Int64", nullable: false }, { name: "label", type: "Utf8", nullable: false }]);
    expect(out.resources[0]).toMatchObject({ name: "counter", configSchema: { type: "object" } });
    expect(out.commands.map((c: { name: string }) => c.name)).toContain("ping");
    expect(out.handshake).toMatchObject({ protocolVersion: 1, sdkLanguage: "node" });
    expect(out.plugin).toMatchObject({ name: "good", runtime: "node", dir: good });
  });
});

describe("call", () => {
  it("prints JSON rows by default (int64 as numbers)", async () => {
    const r = await cli(["call", good, "good.generate", "--config", '{"rows":2}']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ id: 0, label: "row-0" }, { id: 1, label: "row-1" }]);
  });

  it("reads JSON from stdin and writes CSV", async () => {
    const r = await cli(["call", good, "good.echo", "--input", "-", "--format", "csv"], '[{"a":1,"b":"x"},{"a":2,"b":null}]');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe("a,b\n1,x\n2,"); // execa strips the final newline
  });

  it("reads CSV and Arrow files and writes Arrow files", async () => {
    await writeFile(join(work, "in.csv"), "id,name\n1,a\n2,b\n");
    const csv = await cli(["call", good, "good.echo", "--input", join(work, "in.csv")]);
    expect(JSON.parse(csv.stdout)).toEqual([{ id: 1, name: "a" }, { id: 2, name: "b" }]);

    const t = arrow.tableFromArrays({ v: Float64Array.from([0.5, 1.5]) });
    await writeFile(join(work, "in.arrow"), arrow.tableToIPC(t, "file"));
    const out = join(work, "out.arrow");
    const r = await cli(["call", good, "good.echo", "--input", join(work, "in.arrow"), "--format", "arrow", "--output", out]);
    expect(r.exitCode, r.stderr).toBe(0);
    const back = arrow.tableFromIPC(await readFile(out));
    expect([...back.getChild("v")!]).toEqual([0.5, 1.5]);
  });

  it("opens --resource bindings with the kind the step requires", async () => {
    const r = await cli(["call", good, "good.count", "--resource", 'counter={"start":40}', "--input", "-"], '[{"x":1},{"x":2}]');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ total: 42 }]);
  });
});

describe.concurrent("call errors", () => {
  it.each([
    [["call", "/no/such/plugin", "x.y"], "USAGE", 2],
    [["call", good, "good.generate", "--config", "{bad"], "USAGE", 2],
    [["call", good, "good.generate", "--config", "[1]"], "USAGE", 2],
    [["call", good, "other.generate"], "USAGE", 2],
    [["call", good, "generate"], "USAGE", 2],
    [["call", good, "good.generate", "--format", "xml"], "USAGE", 2],
    [["call", good, "good.generate", "--timeout", "soon"], "USAGE", 2],
    [["call", good, "good.count", "--resource", "counter"], "USAGE", 2],
    [["call", good, "good.count", "--resource", "nope={}"], "USAGE", 2],
    [["call", good, "good.generate", "--config", '{"rows":1}', "--input", join(FIXTURES, "good", "heddle-plugin.json")], "INPUT_READ_FAILED", 1],
    [["call", good, "good.generate", "--input", "/no/such/file.json"], "INPUT_READ_FAILED", 1],
    [["call", good, "good.nope"], "UNKNOWN_STEP", 1],
    [["call", good, "good.count"], "MISSING_RESOURCE", 1],
    [["call", good, "good.fail"], "STEP_FAILED", 1],
    [["call", good, "good.sleep", "--config", '{"ms":5000}', "--timeout", "200"], "DEADLINE_EXCEEDED", 1],
    [["call", good, "good.generate", "--config", '{"rows":1}', "--output", "/no/such/dir/out.json"], "OUTPUT_WRITE_FAILED", 1],
    [["call", join(FIXTURES, "wrong-cookie"), "x.y"], "COOKIE_MISMATCH", 1],
    [["call", join(FIXTURES, "crash-on-start"), "x.y"], "PLUGIN_START_FAILED", 1],
    [["call", join(FIXTURES, "invalid-arrow"), "invalid.garbage"], "INVALID_OUTPUT", 1],
    [["call", good], "USAGE", 2],
    [["call", good, "good.echo", "--bogus"], "USAGE", 2],
    [["--log-level", "loud", "describe", good], "USAGE", 2],
  ])("%j → %s", async (args, code, exitCode) => {
    await expectError(args as string[], code as string, exitCode as number);
  });

  it("names the bad field of an INVALID_CONFIG", async () => {
    const stderr = await expectError(["call", good, "good.typed"], "INVALID_CONFIG");
    expect(stderr).toContain("/name");
  });

  it("says what is wrong with a step that takes no input", async () => {
    const stderr = await expectError(["call", good, "good.generate", "--config", '{"rows":1}', "--input", "-"], "USAGE", 2, '[{"a":1}]');
    expect(stderr).toContain("takes no input");
  });

  it("reports a plugin crash with its exit status and last stderr lines", async () => {
    const stderr = await expectError(["call", join(FIXTURES, "crash-mid-call"), "crashy.crash", "--input", "-"], "PLUGIN_CRASHED", 1, '[{"a":1}]');
    expect(stderr).toContain("exit status 7");
    expect(stderr).toContain("panic: about to die");
  });

  it("reports a folder without heddle-plugin.json as MANIFEST_INVALID", async () => {
    const dir = await writeFiles(await temp.make(), { "README.md": "not a plugin" });
    const stderr = await expectError(["describe", dir], "MANIFEST_INVALID");
    expect(stderr).toContain("heddle-plugin.json");
  });
});
