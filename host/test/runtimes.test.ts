// Runtimes: each one really builds (when needed) and starts the entrypoint.
// The test plugins print something to stderr and exit 1, so the start error
// (PLUGIN_START_FAILED quoting stderr) proves what ran and with what.
import { mkdir, readdir, readFile, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { execa } from "execa";
import { PluginHost } from "../src/host.js";
import { bytecodeStale } from "../src/runtime/python.js";
import type { HostError } from "../src/errors.js";
import type { LogRecord } from "../src/logger.js";
import { pluginJson, REPO, TempDirs, writeFiles } from "./helpers.js";

const temp = new TempDirs();
const hosts: PluginHost[] = [];
afterEach(async () => { await Promise.all(hosts.splice(0).map((h) => h.close())); });
afterAll(() => temp.cleanup());

async function newHost() {
  const logs: LogRecord[] = [];
  const heddleHome = await temp.make("hh-home-");
  const host = new PluginHost({ logLevel: "debug", logSink: (r) => logs.push(r), heddleHome });
  hosts.push(host);
  return { host, logs, cache: join(heddleHome, "cache") };
}

async function startError(host: PluginHost, dir: string): Promise<HostError> {
  return host.load(dir).then(() => { throw new Error("expected the start to fail"); }, (e: HostError) => e);
}

const builds = (logs: LogRecord[]) => logs.filter((l) => l.message.startsWith("building:")).length;

describe("exec", () => {
  it("runs the entrypoint with the protocol environment, heddle-plugin.json env and args", async () => {
    const { host } = await newHost();
    const dir = await writeFiles(await temp.make(), {
      "heddle-plugin.json": pluginJson({ name: "exec-env", runtime: "exec", entrypoint: "run.sh", env: { FOO: "bar" }, args: ["--flag"] }),
      "run.sh": [
        "#!/bin/sh",
        'echo "args=$1 foo=$FOO name=$HEDDLE_PLUGIN_NAME level=$HEDDLE_LOG_LEVEL versions=$HEDDLE_PLUGIN_PROTOCOL_VERSIONS cookie=$HEDDLE_PLUGIN_COOKIE" >&2',
        'echo "dirmode=$(stat -c %a "$(dirname "$HEDDLE_PLUGIN_SOCKET")") socketlen=${#HEDDLE_PLUGIN_SOCKET} cwd=$(pwd)" >&2',
        "exit 1",
      ].join("\n"),
    });
    const err = await startError(host, dir);
    expect(err.code).toBe("PLUGIN_START_FAILED");
    expect(err.message).toContain("args=--flag foo=bar name=exec-env level=debug versions=1 cookie=5c0f6a8e1d2b4c7f9a3e0b6d8c1f2a47");
    expect(err.message).toContain("dirmode=700");
    expect(err.message).toContain(`cwd=${dir}`);
    const len = Number(/socketlen=(\d+)/.exec(err.message)![1]);
    expect(len).toBeLessThan(100);
  });

  it("a plugin declaring only protocol versions the host does not speak fails before it starts", async () => {
    const { host } = await newHost();
    const dir = await writeFiles(await temp.make(), {
      "heddle-plugin.json": pluginJson({ runtime: "exec", entrypoint: "run.sh", protocolVersions: [7, 8] }),
      "run.sh": "#!/bin/sh\necho started >&2\nexit 1\n",
    });
    const err = await startError(host, dir);
    expect(err.code).toBe("PROTOCOL_MISMATCH");
    expect(err.message).toContain("7, 8");
  });

  it("a missing or non-executable entrypoint is MANIFEST_INVALID naming /entrypoint", async () => {
    const { host } = await newHost();
    const missing = await writeFiles(await temp.make(), { "heddle-plugin.json": pluginJson({ runtime: "exec", entrypoint: "nope" }) });
    expect(await startError(host, missing)).toMatchObject({ code: "MANIFEST_INVALID", field: "/entrypoint" });
    const plain = await writeFiles(await temp.make(), { "heddle-plugin.json": pluginJson({ runtime: "exec", entrypoint: "run.txt" }), "run.txt": "x" });
    const err = await startError(host, plain);
    expect(err).toMatchObject({ code: "MANIFEST_INVALID", field: "/entrypoint" });
    expect(err.hint).toContain("chmod +x");
  });
});

describe("node", () => {
  it("transpiles a .ts entrypoint once into the cache (keyed by content) and runs it", async () => {
    const { host, cache } = await newHost();
    const dir = await writeFiles(await temp.make(), {
      "heddle-plugin.json": pluginJson({ runtime: "node", entrypoint: "main.ts" }),
      "main.ts": 'import { greet } from "./greet";\nconst n: number = 41;\nprocess.stderr.write(greet(n + 1) + "\\n");\nprocess.exit(1);\n',
      "greet.ts": "export const greet = (n: number): string => `typescript says ${n}`;\n",
    });
    expect((await startError(host, dir)).message).toContain("typescript says 42");
    expect((await startError(host, dir)).message).toContain("typescript says 42");
    expect(await readdir(join(cache, "node"))).toHaveLength(1);
  });

  it("skips esbuild for an unchanged plugin (a record of what the build read) and rebuilds when a file changes", async () => {
    const { host, cache } = await newHost();
    const dir = await writeFiles(await temp.make(), {
      "heddle-plugin.json": pluginJson({ runtime: "node", entrypoint: "main.ts" }),
      "main.ts": 'import { word } from "./word";\nprocess.stderr.write(`says ${word}\\n`);\nprocess.exit(1);\n',
      "word.ts": 'export const word = "one";\n',
    });
    // Files written within a second of a build get no record (they may have changed during it).
    const old = new Date(Date.now() - 10_000);
    for (const f of ["main.ts", "word.ts"]) await utimes(join(dir, f), old, old);
    expect((await startError(host, dir)).message).toContain("says one");
    const records = await readdir(join(cache, "node-builds"));
    expect(records).toHaveLength(1);
    const record = JSON.parse(await readFile(join(cache, "node-builds", records[0]!), "utf8")) as { inputs: Array<{ path: string }> };
    expect(record.inputs.map((i) => i.path)).toEqual(expect.arrayContaining([join(dir, "main.ts"), join(dir, "word.ts")]));
    expect((await startError(host, dir)).message).toContain("says one");
    await writeFile(join(dir, "word.ts"), 'export const word = "two";\n');
    expect((await startError(host, dir)).message).toContain("says two");
  });

  it("a TypeScript syntax error is BUILD_FAILED with its location", async () => {
    const { host } = await newHost();
    const dir = await writeFiles(await temp.make(), {
      "heddle-plugin.json": pluginJson({ runtime: "node", entrypoint: "main.ts" }),
      "main.ts": "const x: number = ;\n",
    });
    const err = await startError(host, dir);
    expect(err.code).toBe("BUILD_FAILED");
    expect(err.message).toContain("main.ts:1:");
  });
});

describe("python", () => {
  const script = "import sys\nimport pyarrow\nprint('python is', sys.executable, file=sys.stderr)\nsys.exit(1)\n";

  it("tells when a package's bytecode is missing or older than its sources (the SDK is compiled once, not at every start)", async () => {
    const pkg = await writeFiles(await temp.make(), { "a.py": "A = 1\n", "sub/b.py": "B = 2\n" });
    const old = new Date(Date.now() - 10_000);
    for (const f of ["a.py", "sub/b.py"]) await utimes(join(pkg, f), old, old);
    expect(await bytecodeStale(pkg)).toBe(true);
    await execa(join(REPO, ".venv/bin/python"), ["-m", "compileall", "-q", pkg]);
    expect(await bytecodeStale(pkg)).toBe(false);
    await writeFile(join(pkg, "sub/b.py"), "B = 3\n");
    expect(await bytecodeStale(pkg)).toBe(true);
  });

  it("uses the host's SDK venv by default", async () => {
    const { host } = await newHost();
    const dir = await writeFiles(await temp.make(), { "heddle-plugin.json": pluginJson({ runtime: "python", entrypoint: "p.py" }), "p.py": script });
    expect((await startError(host, dir)).message).toContain(`python is ${join(REPO, ".venv", "bin", "python")}`);
  });

  it("builds a cached venv for requirements.txt that still sees the SDK venv's packages", async () => {
    const { host, logs, cache } = await newHost();
    const dir = await writeFiles(await temp.make(), {
      "heddle-plugin.json": pluginJson({ runtime: "python", entrypoint: "p.py" }),
      "p.py": script,
      "requirements.txt": "# nothing beyond the SDK\n",
    });
    const err = await startError(host, dir);
    expect(err.message).toContain(`python is ${join(cache, "python")}`); // and `import pyarrow` worked
    await startError(host, dir);
    expect(builds(logs)).toBe(1);
  });

  it("prefers the plugin's own .venv, then HEDDLE_PYTHON", async () => {
    const { host } = await newHost();
    const bare = "import sys\nprint('python is', sys.executable, file=sys.stderr)\nsys.exit(1)\n";
    const dir = await writeFiles(await temp.make(), { "heddle-plugin.json": pluginJson({ runtime: "python", entrypoint: "p.py" }), "p.py": bare });
    process.env.HEDDLE_PYTHON = join(REPO, ".venv", "bin", "python3");
    try {
      expect((await startError(host, dir)).message).toContain(`python is ${process.env.HEDDLE_PYTHON}`);
    } finally {
      delete process.env.HEDDLE_PYTHON;
    }
    await mkdir(join(dir, ".venv", "bin"), { recursive: true });
    await symlink(join(REPO, ".venv", "bin", "python"), join(dir, ".venv", "bin", "python"));
    expect((await startError(host, dir)).message).toContain(`python is ${join(dir, ".venv", "bin", "python")}`);
  });
});

describe("go", () => {
  const goMod = "module example.com/hello\n\ngo 1.21\n";
  it("builds once into the cache (a second start does not rebuild) and runs the binary", async () => {
    const { host, logs } = await newHost();
    const dir = await writeFiles(await temp.make(), {
      "heddle-plugin.json": pluginJson({ runtime: "go", entrypoint: "." }),
      "go.mod": goMod,
      "main.go": 'package main\n\nimport (\n\t"fmt"\n\t"os"\n)\n\nfunc main() {\n\tfmt.Fprintln(os.Stderr, "hello from go")\n\tos.Exit(1)\n}\n',
    });
    expect((await startError(host, dir)).message).toContain("hello from go");
    expect((await startError(host, dir)).message).toContain("hello from go");
    expect(builds(logs)).toBe(1);
  });

  it("a compile error is BUILD_FAILED with the compiler output", async () => {
    const { host } = await newHost();
    const dir = await writeFiles(await temp.make(), {
      "heddle-plugin.json": pluginJson({ runtime: "go", entrypoint: "main.go" }),
      "go.mod": goMod,
      "main.go": "package main\n\nfunc main() {\n\tundefinedThing()\n}\n",
    });
    const err = await startError(host, dir);
    expect(err.code).toBe("BUILD_FAILED");
    expect(err.message).toContain("undefined: undefinedThing");
  });
});

describe("rust", () => {
  it("cargo builds once with a shared target dir and runs the binary; errors are BUILD_FAILED", async () => {
    const { host, logs, cache } = await newHost();
    const files = {
      "heddle-plugin.json": pluginJson({ runtime: "rust", entrypoint: "hello-rs" }),
      "Cargo.toml": '[package]\nname = "hello-rs"\nversion = "0.1.0"\nedition = "2021"\n',
      "src/main.rs": 'fn main() { eprintln!("hello from rust"); std::process::exit(1); }\n',
    };
    const dir = await writeFiles(await temp.make(), files);
    expect((await startError(host, dir)).message).toContain("hello from rust");
    expect((await startError(host, dir)).message).toContain("hello from rust");
    expect(builds(logs)).toBe(1);
    // The build lands in the caller's CARGO_TARGET_DIR when one is exported (the Makefile does), else in the cache.
    const targetDir = process.env.CARGO_TARGET_DIR || join(cache, "rust", "target");
    expect(await readdir(join(cache, "rust"))).toContain("bin");
    expect(await readdir(join(targetDir, "release"))).toContain("hello-rs");
    await writeFiles(dir, { "src/main.rs": "fn main() { let x: u32 = \"no\"; }\n" });
    const err = await startError(host, dir);
    expect(err.code).toBe("BUILD_FAILED");
    expect(err.message).toContain("mismatched types");
  });
});
