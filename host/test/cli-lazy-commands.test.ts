// The CLI imports only the module of the command it runs (commands/index.ts).
// Checked two ways: the help lines kept in the lazy table match what the
// command modules define, and a real `heddle-host` subprocess, traced by a
// module resolve hook, loads no heavy package it does not need.
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Command } from "commander";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS, registerCommands } from "../src/cli/commands/index.js";
import { CLI, TempDirs } from "./helpers.js";

const temp = new TempDirs();
let dir: string;
let preload: string;
let home: string;

beforeAll(async () => {
  dir = await temp.make("hh-lazy-");
  home = await temp.make("hh-lazy-home-");
  // A resolve hook (runs on Node's loader thread) that appends each resolved module URL to a file.
  await writeFile(join(dir, "hooks.mjs"), `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.HEDDLE_TEST_TRACE, r.url + "\\n");
  return r;
}
`);
  preload = join(dir, "register.mjs");
  await writeFile(preload, `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});\n`);
});
afterAll(() => temp.cleanup());

/** Runs the CLI with the trace hook; returns its result and the npm packages it loaded. */
async function traced(args: string[]) {
  const trace = join(dir, `trace-${Math.random().toString(36).slice(2)}.txt`);
  await writeFile(trace, "");
  const r = await execa(process.execPath, ["--import", preload, CLI, ...args], { reject: false, cwd: dir, env: { HEDDLE_HOME: home, HEDDLE_TEST_TRACE: trace, HEDDLE_REGISTRY: "" } });
  const urls = (await readFile(trace, "utf8")).split("\n").filter(Boolean);
  await rm(trace);
  const packages = new Set(urls.flatMap((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1] ?? []));
  return { ...r, packages };
}

const PLUGIN_RUNNING = ["@grpc/grpc-js", "apache-arrow", "execa"];
const PACKAGE_CLIENT = ["undici", "tar", "esbuild"];

describe("the lazy command table", () => {
  it("lists every command with the same help line as its module defines", async () => {
    const program = new Command("heddle-host");
    await registerCommands(program, COMMANDS);
    const help = program.createHelp();
    const defined = program.commands.map((c) => ({ name: c.name(), term: help.subcommandTerm(c), description: c.description() }));
    const listed = COMMANDS.map((c) => ({ name: c.name, term: c.term, description: c.description }));
    expect(listed).toEqual(defined);
  });
});

describe("what each kind of run loads", () => {
  it("--help lists every command and loads none of the heavy packages", async () => {
    const r = await traced(["--help"]);
    expect(r.exitCode).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(`  ${c.term} `);
    for (const pkg of [...PLUGIN_RUNNING, ...PACKAGE_CLIENT]) expect([...r.packages]).not.toContain(pkg);
    expect(r.packages.has("commander")).toBe(true); // the trace sees packages at all
  });

  it("a package command (list) loads no plugin-running code", async () => {
    const r = await traced(["--log-level", "error", "list"]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("no plugins installed");
    for (const pkg of PLUGIN_RUNNING) expect([...r.packages]).not.toContain(pkg);
  });

  it("a plugin command (call) loads the plugin runtime and not the package client", async () => {
    const r = await traced(["call", "--help"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("--resource <name=json>");
    for (const pkg of PLUGIN_RUNNING) expect([...r.packages]).toContain(pkg);
    for (const pkg of PACKAGE_CLIENT) expect([...r.packages]).not.toContain(pkg);
  });

  it("`help <command>` loads that command and prints its own options", async () => {
    const r = await traced(["help", "install"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("Usage: heddle-host install [options] [packages...]");
    expect(r.stdout).toContain("--no-save");
    for (const pkg of PLUGIN_RUNNING) expect([...r.packages]).not.toContain(pkg);
  });

  it("an unknown command is a USAGE error that suggests the near name", async () => {
    const r = await traced(["instal", "fhub/ping"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error\[USAGE\] heddle-host: unknown command 'instal'/m);
    expect(r.stderr).toContain("install");
  });
});
