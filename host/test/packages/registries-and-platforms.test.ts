// Several registries (the first that has a package wins), login, per-platform
// archives with every platform's hashes in heddle.lock, and the client's
// archive size limit — through the real CLIs.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, makeSandbox, publishInProcess, startRegistry, writePlugin, type Sandbox, type TestRegistry } from "./helpers.js";

let sandbox: Sandbox;
let first: TestRegistry;
let second: TestRegistry;
let firstToken: string;
let secondToken: string;

beforeAll(async () => {
  sandbox = await makeSandbox();
  [first, second] = await Promise.all([startRegistry(sandbox.root), startRegistry(sandbox.root)]);
  [firstToken, secondToken] = await Promise.all([first.token(["publish:acme/*"]), second.token(["publish:acme/*"])]);
  const shared1 = await writePlugin(join(sandbox.root, "src", "shared-1"), { name: "acme/shared", version: "1.0.0" });
  const shared2 = await writePlugin(join(sandbox.root, "src", "shared-2"), { name: "acme/shared", version: "2.0.0" });
  const only = await writePlugin(join(sandbox.root, "src", "only"), { name: "acme/only-second", version: "1.0.0" });
  await publishInProcess(sandbox, shared1, first, firstToken);
  await publishInProcess(sandbox, shared2, second, secondToken);
  await publishInProcess(sandbox, only, second, secondToken);
});
afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
  await sandbox?.dispose();
});

describe("several registries", () => {
  it("looks them up in order, and login stores a token that publish then uses", async () => {
    expect((await sandbox.host(["registry", "add", first.url, "--name", "primary"])).exitCode).toBe(0);
    expect((await sandbox.host(["registry", "add", second.url, "--name", "mirror"])).exitCode).toBe(0);
    const list = await sandbox.host(["registry", "list"]);
    expect(list.stdout.split("\n")[0]).toContain(`1. primary\t${first.url}`);
    expect(list.stdout).toContain(`2. mirror\t${second.url}`);

    const both = await sandbox.host(["install", "acme/shared", "acme/only-second", "--quiet"]);
    expect(both.stderr).not.toMatch(/error\[/);
    expect(both.stdout).toContain("installed acme/shared@1.0.0"); // the first registry wins, though the second has 2.0.0
    expect(both.stdout).toContain("installed acme/only-second@1.0.0");
    const lock = JSON.parse(await readFile(join(sandbox.work, "heddle.lock"), "utf8"));
    expect(lock.plugins["acme/shared"].registry).toBe(first.url);
    expect(lock.plugins["acme/only-second"].registry).toBe(second.url);

    const login = await sandbox.host(["login", "--registry", first.url, "--token", firstToken]);
    expect(login.stdout).toContain("scopes publish:acme/*");
    const dir = await writePlugin(join(sandbox.root, "src", "via-login"), { name: "acme/via-login", version: "1.0.0" });
    const published = await sandbox.host(["publish", dir, "--quiet"]);
    expect(published.stdout).toContain("published acme/via-login@1.0.0");
    const config = JSON.parse(await readFile(join(sandbox.home, "config.json"), "utf8"));
    expect(config.registries[0].token).toBe(firstToken);
    expect(Object.keys(config.registryKeys).sort()).toEqual([first.url, second.url].sort());
  });
});

describe("per-platform archives", () => {
  it("installs this machine's archive and pins every platform's hashes", async () => {
    const here = `${process.platform}-${process.arch}`;
    const other = process.platform === "darwin" ? { os: "linux", arch: "x64" } : { os: "darwin", arch: "arm64" };
    const dir = await writePlugin(join(sandbox.root, "src", "native"), {
      name: "acme/native",
      version: "1.0.0",
      runtime: "exec",
      entrypoint: "bin/run",
      artifacts: [
        { os: process.platform, arch: process.arch, entrypoint: `bin/${here}/run`, files: [`bin/${here}`] },
        { ...other, entrypoint: `bin/${other.os}-${other.arch}/run`, files: [`bin/${other.os}-${other.arch}`] },
      ],
    }, { [`bin/${here}/run`]: "#!/bin/sh\necho here\n", [`bin/${other.os}-${other.arch}/run`]: "#!/bin/sh\necho other\n" });
    await publishInProcess(sandbox, dir, first, firstToken);
    const project = join(sandbox.root, "native-project");
    await (await import("node:fs/promises")).mkdir(project);
    const r = await sandbox.host(["install", "acme/native", "--registry", first.url, "--quiet"], { cwd: project });
    expect(r.stdout).toContain(`installed acme/native@1.0.0 (${here})`);
    const installed = join(sandbox.home, "plugins", "acme", "native", "1.0.0");
    expect(await readdir(join(installed, "bin"))).toEqual([here]);
    const manifest = JSON.parse(await readFile(join(installed, "heddle-plugin.json"), "utf8"));
    expect(manifest.entrypoint).toBe(`bin/${here}/run`);
    const lock = JSON.parse(await readFile(join(project, "heddle.lock"), "utf8"));
    expect(Object.keys(lock.plugins["acme/native"].artifacts).sort()).toEqual([here, `${other.os}-${other.arch}`].sort());

    const foreign = await writePlugin(join(sandbox.root, "src", "foreign"), {
      name: "acme/foreign", version: "1.0.0", runtime: "exec", entrypoint: "run",
      artifacts: [{ ...other, files: ["run"] }],
    }, { run: "x" });
    await publishInProcess(sandbox, foreign, first, firstToken);
    const refused = await sandbox.host(["install", "acme/foreign", "--registry", first.url], { cwd: project });
    expect(errorCode(refused.stderr)).toBe("PLATFORM_UNSUPPORTED");
  });

  it("refuses archives over the client's size limit before downloading them", async () => {
    const r = await sandbox.host(["install", "acme/shared", "--registry", second.url, "--no-save"], { env: { HEDDLE_MAX_ARCHIVE_BYTES: "100" } });
    expect(errorCode(r.stderr)).toBe("PACKAGE_TOO_LARGE");
  });
});
