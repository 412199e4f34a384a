// publish → install → call, for a Python and a TypeScript plugin (the SDK
// examples), through the real CLIs against a real registry on loopback.
import { createHash } from "node:crypto";
import { cp, readFile, stat, writeFile } from "node:fs/promises";
import { execa } from "execa";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, makeSandbox, REPO, startRegistry, type Sandbox, type TestRegistry } from "./helpers.js";

const CREDENTIALS = join(REPO, "examples", "python", "security", "credentials.json");

let sandbox: Sandbox;
let registry: TestRegistry;
let token: string;

beforeAll(async () => {
  sandbox = await makeSandbox();
  registry = await startRegistry(sandbox.root);
  token = await registry.token(["publish:acme/*"]);
});
afterAll(async () => {
  await registry?.stop();
  await sandbox?.dispose();
});

async function expectedRows(apiKey: string): Promise<Array<{ id: number; hash: string }>> {
  const rows = JSON.parse(await readFile(CREDENTIALS, "utf8")) as Array<{ id: number; password: string }>;
  return rows.map((r) => ({ id: r.id, hash: createHash("sha256").update(apiKey + r.password).digest("hex") }));
}

describe.each([
  { lang: "Python", dir: join(REPO, "examples", "python", "security") },
  { lang: "TypeScript", dir: join(REPO, "examples", "ts", "security") },
])("$lang plugin", ({ dir }) => {
  it("publishes, installs, pins and calls by name", async () => {
    const manifest = JSON.parse(await readFile(join(dir, "heddle-plugin.json"), "utf8")) as { name: string; version: string };
    const name = `acme/${manifest.name.split("/").pop()}`;

    const published = await sandbox.host(["publish", dir, "--registry", registry.url, "--token", token]);
    expect(published.stderr).not.toMatch(/error\[/);
    expect(published.exitCode).toBe(0);
    expect(published.stdout).toContain(`published ${name}@${manifest.version}`);

    const installed = await sandbox.host(["install", name, "--registry", registry.url]);
    expect(installed.stderr).not.toMatch(/error\[/);
    expect(installed.exitCode).toBe(0);
    const pluginDir = join(sandbox.home, "plugins", ...name.split("/"), manifest.version);
    expect((await stat(join(pluginDir, "heddle-plugin.json"))).isFile()).toBe(true);
    const lock = JSON.parse(await readFile(join(sandbox.work, "heddle.lock"), "utf8"));
    expect(lock.plugins[name].version).toBe(manifest.version);
    expect(lock.plugins[name].artifacts.any.integrity).toMatch(/^sha512-/);

    const search = await sandbox.host(["search", "--step", "security.hash", "--registry", registry.url, "--json"]);
    expect(JSON.parse(search.stdout).map((r: { name: string }) => r.name)).toContain(name);

    const called = await sandbox.host([
      "call", name, "security.hash",
      "--config", JSON.stringify({ algorithm: "sha256" }),
      "--resource", `vault=${JSON.stringify({ api_key: "pepper" })}`,
      "--input", CREDENTIALS,
    ]);
    expect(called.stderr, errorCode(called.stderr) ?? "").not.toMatch(/error\[/);
    expect(called.exitCode).toBe(0);
    expect(JSON.parse(called.stdout)).toEqual(await expectedRows("pepper"));
  });
});

describe("Python plugin with requirements", () => {
  it("gets its own virtual environment at install time, which the host then runs", async () => {
    const dir = join(sandbox.root, "src", "security-venv");
    await cp(join(REPO, "examples", "python", "security"), dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, "heddle-plugin.json"), "utf8"));
    // already in the SDK environment, so pip resolves it without the network
    await writeFile(join(dir, "heddle-plugin.json"), JSON.stringify({ ...manifest, name: "security-venv", version: "1.0.0", python: { requirements: ["pyarrow"] } }));
    const published = await sandbox.host(["publish", dir, "--namespace", "acme", "--registry", registry.url, "--token", token, "--quiet", "--no-describe"]);
    expect(published.stdout).toContain("published acme/security-venv@1.0.0");
    const installed = await sandbox.host(["install", "acme/security-venv", "--registry", registry.url, "--quiet"]);
    expect(installed.stderr).not.toMatch(/error\[/);
    const venvPython = join(sandbox.home, "plugins", "acme", "security-venv", "1.0.0", ".venv", "bin", "python");
    const check = await execa(venvPython, ["-c", "import sys, pyarrow, heddle; print(sys.prefix)"]);
    expect(check.stdout).toContain(join("security-venv", "1.0.0", ".venv"));
    const called = await sandbox.host([
      "call", "acme/security-venv", "security.hash",
      "--config", JSON.stringify({ algorithm: "sha256" }),
      "--resource", `vault=${JSON.stringify({ api_key: "k" })}`,
      "--input", CREDENTIALS,
    ]);
    expect(called.stderr).not.toMatch(/error\[/);
    expect(JSON.parse(called.stdout)).toEqual(await expectedRows("k"));
  });
});
