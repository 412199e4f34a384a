// `heddle-host new`: the scaffolds must describe, answer calls, and pass their
// own tests, with the real SDKs (sdk-ts, sdk-python) behind them.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, REPO, TempDirs } from "./helpers.js";

const temp = new TempDirs();
let home: string;
beforeAll(async () => { home = await temp.make("hh-home-"); });
afterAll(() => temp.cleanup());

const cli = (args: string[], input?: string) => execa("node", [CLI, ...args], { reject: false, input, env: { HEDDLE_HOME: home } });

async function scaffoldWorks(dir: string, lang: string, namespace: string): Promise<void> {
  const created = await cli(["new", "--lang", lang, dir]);
  expect(created.exitCode, created.stderr).toBe(0);
  const described = await cli(["describe", dir]);
  expect(described.exitCode, described.stderr).toBe(0);
  const manifest = JSON.parse(described.stdout);
  expect(manifest.namespace).toBe(namespace);
  expect(manifest.steps.map((s: { name: string }) => s.name)).toEqual(["tag"]);
  const called = await cli(["call", dir, `${namespace}.tag`, "--config", '{"column":"tag","value":"x"}', "--input", "-"], '[{"id":1},{"id":2}]');
  expect(called.exitCode, called.stderr).toBe(0);
  expect(JSON.parse(called.stdout)).toEqual([{ id: 1, tag: "x" }, { id: 2, tag: "x" }]);
  const bad = await cli(["call", dir, `${namespace}.tag`, "--config", '{"column":"tag"}', "--input", "-"], '[{"id":1}]');
  expect(bad.exitCode).toBe(1);
  expect(bad.stderr).toMatch(/^error\[INVALID_CONFIG\] /m);
}

describe("heddle-host new", () => {
  it("--lang ts: a working plugin whose own vitest test passes", async () => {
    // Inside the repo so the scaffold's test resolves @heddle/host, @heddle/sdk and vitest.
    const parent = await mkdtemp(join(REPO, "host", ".tmp-scaffold-"));
    try {
      const dir = join(parent, "hello-ts");
      await scaffoldWorks(dir, "ts", "hello_ts");
      expect((await readdir(dir)).sort()).toEqual(["README.md", "heddle-plugin.json", "plugin.test.ts", "plugin.ts", "vitest.config.ts"]);
      // vitest's own binary, run in the scaffold folder (npx would move to the enclosing workspace).
      const tests = await execa("node", [join(REPO, "node_modules", "vitest", "vitest.mjs"), "run"], { cwd: dir, reject: false, env: { HEDDLE_HOME: home } });
      expect(tests.exitCode, tests.stdout + tests.stderr).toBe(0);
      expect(tests.stdout).toContain("2 passed");
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it("--lang python: a working plugin whose own pytest test passes", async () => {
    const dir = join(await temp.make(), "hello-py");
    await scaffoldWorks(dir, "python", "hello_py");
    expect((await readdir(dir)).sort()).toEqual(["README.md", "heddle-plugin.json", "plugin.py", "test_plugin.py"]);
    const tests = await execa(join(REPO, ".venv", "bin", "python"), ["-m", "pytest", "-q", "-p", "no:cacheprovider", "test_plugin.py"], {
      cwd: dir, reject: false, env: { HEDDLE_HOME: home, HEDDLE_HOST_BIN: CLI },
    });
    expect(tests.exitCode, tests.stdout + tests.stderr).toBe(0);
    expect(tests.stdout).toContain("2 passed");
  });

  it.each([
    ["go", "hello_go", ["README.md", "go.mod", "go.sum", "heddle-plugin.json", "main.go"]],
    ["rust", "hello_rust", ["Cargo.lock", "Cargo.toml", "README.md", "heddle-plugin.json", "src"]],
  ])("--lang %s: a plugin the host builds from source, describes and calls", async (lang, namespace, files) => {
    const dir = join(await temp.make(), namespace.replace("_", "-"));
    await scaffoldWorks(dir, lang, namespace);
    expect((await readdir(dir)).sort()).toEqual(files);
  }, 600_000);

  it("refuses an unknown language or a non-empty folder (USAGE)", async () => {
    const dir = join(await temp.make(), "x");
    const lang = await cli(["new", "--lang", "cobol", dir]);
    expect(lang.exitCode).toBe(2);
    expect(lang.stderr).toMatch(/^error\[USAGE\] heddle-host new: --lang must be one of ts, python, go, rust/m);
    await cli(["new", "--lang", "ts", dir]);
    const again = await cli(["new", "--lang", "python", dir]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain("already exists and is not empty");
  });
});
