// What users do with a registry, through the real CLIs: range and dist-tag
// resolution, yanked versions, lock file restore on a clean plugins folder,
// unauthorised publishes, and two installs of one package at once.
import { randomBytes } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, makeSandbox, publishInProcess, startRegistry, writePlugin, type Sandbox, type TestRegistry } from "./helpers.js";

let sandbox: Sandbox;
let registry: TestRegistry;
let token: string;

beforeAll(async () => {
  sandbox = await makeSandbox();
  registry = await startRegistry(sandbox.root);
  token = await registry.token(["publish:acme/*"]);
  // acme/ranged: 1.0.0, 1.2.0, 1.3.0-beta.1 (tag next), 2.0.0
  for (const [version, tag] of [["1.0.0"], ["1.2.0"], ["1.3.0-beta.1", "next"], ["2.0.0"]] as Array<[string, string?]>) {
    const dir = await writePlugin(join(sandbox.root, "src", `ranged-${version}`), { name: "acme/ranged", version });
    await publishInProcess(sandbox, dir, registry, token, { tag });
  }
});
afterAll(async () => {
  await registry?.stop();
  await sandbox?.dispose();
});

async function installedVersion(spec: string): Promise<string> {
  const r = await sandbox.host(["install", spec, "--registry", registry.url, "--no-save", "--quiet"]);
  expect(r.stderr, r.stderr).not.toMatch(/error\[/);
  return /installed acme\/ranged@(\S+)/.exec(r.stdout)![1]!;
}

async function lockVersion(name: string): Promise<string | undefined> {
  const lock = JSON.parse(await readFile(join(sandbox.work, "heddle.lock"), "utf8"));
  return lock.plugins[name]?.version;
}

describe("version resolution", () => {
  it("resolves ranges, exact versions, dist-tags and latest", async () => {
    // (every range form is covered in-process by extract-and-resolve.test.ts; these go through the CLI)
    expect(await installedVersion("acme/ranged")).toBe("2.0.0");
    expect(await installedVersion("acme/ranged@~1.0")).toBe("1.0.0");
    expect(await installedVersion("acme/ranged@next")).toBe("1.3.0-beta.1");
  });

  it("says which versions exist when nothing matches", async () => {
    const r = await sandbox.host(["install", "acme/ranged@^3", "--registry", registry.url]);
    expect(r.exitCode).toBe(1);
    expect(errorCode(r.stderr)).toBe("VERSION_NOT_FOUND");
    expect(r.stderr).toContain("1.0.0, 1.2.0, 1.3.0-beta.1, 2.0.0");
    const missing = await sandbox.host(["install", "acme/absent", "--registry", registry.url]);
    expect(errorCode(missing.stderr)).toBe("PACKAGE_NOT_FOUND");
  });
});

describe("yanked versions and the lock file", () => {
  it("skips a yanked version for ranges, refuses it by exact version, and still restores it from heddle.lock", async () => {
    const pinned = await sandbox.host(["install", "acme/ranged@^1", "--registry", registry.url, "--quiet"]);
    expect(pinned.exitCode).toBe(0);
    expect(await lockVersion("acme/ranged")).toBe("1.2.0");

    const yank = await sandbox.host(["yank", "acme/ranged@1.2.0", "--reason", "bad release", "--registry", registry.url, "--token", token]);
    expect(yank.exitCode).toBe(0);
    expect(await installedVersion("acme/ranged@^1")).toBe("1.2.0"); // heddle.lock pins it
    const elsewhere = join(sandbox.root, "other-project");
    await rm(elsewhere, { recursive: true, force: true });
    await (await import("node:fs/promises")).mkdir(elsewhere);
    const fresh = await sandbox.host(["install", "acme/ranged@^1", "--registry", registry.url, "--quiet"], { cwd: elsewhere });
    expect(fresh.stdout).toContain("acme/ranged@1.0.0");
    const exact = await sandbox.host(["install", "acme/ranged@1.2.0", "--registry", registry.url], { cwd: elsewhere });
    expect(errorCode(exact.stderr)).toBe("VERSION_YANKED");
    expect(exact.stderr).toContain("bad release");

    // restore on a clean plugins folder: exactly the pinned (yanked) version comes back
    await rm(join(sandbox.home, "plugins"), { recursive: true, force: true });
    const restored = await sandbox.host(["install"]);
    expect(restored.stderr).toContain("yanked");
    expect(restored.exitCode).toBe(0);
    expect(restored.stdout).toContain("installed acme/ranged@1.2.0");
    expect(await readdir(join(sandbox.home, "plugins", "acme", "ranged"))).toEqual(["1.2.0"]);

    const list = await sandbox.host(["list"]);
    expect(list.stdout).toContain("* acme/ranged@1.2.0");
    const removed = await sandbox.host(["remove", "acme/ranged"]);
    expect(removed.exitCode).toBe(0);
    expect(await lockVersion("acme/ranged")).toBeUndefined();
    await sandbox.host(["yank", "acme/ranged@1.2.0", "--undo", "--registry", registry.url, "--token", token]);
  });

  it("update moves a pin to the newest version its range allows", async () => {
    await sandbox.host(["install", "acme/ranged@~1.0", "--registry", registry.url, "--quiet"]);
    expect(await lockVersion("acme/ranged")).toBe("1.0.0");
    const lock = JSON.parse(await readFile(join(sandbox.work, "heddle.lock"), "utf8"));
    expect(lock.plugins["acme/ranged"].range).toBe("~1.0");
    const dir = await writePlugin(join(sandbox.root, "src", "ranged-1.0.7"), { name: "acme/ranged", version: "1.0.7" });
    await publishInProcess(sandbox, dir, registry, token);
    const updated = await sandbox.host(["update", "--quiet"]);
    expect(updated.exitCode).toBe(0);
    expect(await lockVersion("acme/ranged")).toBe("1.0.7");
  });
});

describe("publishing rights", () => {
  it("refuses to publish without a token, with a wrong scope, or with an expired token", async () => {
    const dir = await writePlugin(join(sandbox.root, "src", "rights"), { name: "acme/rights", version: "1.0.0" });
    const noToken = await sandbox.host(["publish", dir, "--registry", registry.url]);
    expect(errorCode(noToken.stderr)).toBe("REGISTRY_UNAUTHORIZED");

    const otherScope = await registry.token(["publish:other/*"]);
    const wrong = await sandbox.host(["publish", dir, "--registry", registry.url, "--token", otherScope]);
    expect(errorCode(wrong.stderr)).toBe("REGISTRY_FORBIDDEN");
    expect(wrong.stderr).toContain("publish:acme/*");

    const expiring = await registry.token(["publish:acme/*"], ["--expires", new Date(Date.now() + 1000).toISOString()]);
    await new Promise((r) => setTimeout(r, 1100));
    const expired = await sandbox.host(["publish", dir, "--registry", registry.url, "--token", expiring]);
    expect(errorCode(expired.stderr)).toBe("REGISTRY_UNAUTHORIZED");
    expect(expired.stderr).toContain("expired");

    const info = await sandbox.host(["info", "acme/rights", "--registry", registry.url]);
    expect(errorCode(info.stderr)).toBe("PACKAGE_NOT_FOUND");
  });

  it("refuses a second publisher key in a claimed namespace, and a republished version", async () => {
    const dir = await writePlugin(join(sandbox.root, "src", "keys"), { name: "acme/keys", version: "1.0.0" });
    expect((await sandbox.host(["publish", dir, "--registry", registry.url, "--token", token, "--quiet"])).exitCode).toBe(0);
    const again = await sandbox.host(["publish", dir, "--registry", registry.url, "--token", token, "--quiet"]);
    expect(errorCode(again.stderr)).toBe("VERSION_EXISTS");
    const stranger = await makeSandbox();
    try {
      const dir2 = await writePlugin(join(stranger.root, "keys"), { name: "acme/keys", version: "1.0.1" });
      const r = await stranger.host(["publish", dir2, "--registry", registry.url, "--token", token, "--quiet"]);
      expect(errorCode(r.stderr)).toBe("SIGNATURE_UNKNOWN_KEY");
    } finally {
      await stranger.dispose();
    }
  });
});

describe("concurrent installs", () => {
  it("two installs of the same package at once both succeed and leave one intact copy", async () => {
    const payload = randomBytes(3 * 1024 * 1024);
    const dir = await writePlugin(join(sandbox.root, "src", "big"), { name: "acme/big", version: "1.0.0" }, { "data/blob.bin": payload });
    await publishInProcess(sandbox, dir, registry, token);
    const project = join(sandbox.root, "concurrent");
    await (await import("node:fs/promises")).mkdir(project);
    const [a, b] = await Promise.all([
      sandbox.spawnHost(["install", "acme/big", "--registry", registry.url], { cwd: project }),
      sandbox.spawnHost(["install", "acme/big", "--registry", registry.url], { cwd: project }),
    ]);
    expect([a.exitCode, b.exitCode], `${a.stderr}\n${b.stderr}`).toEqual([0, 0]);
    const installed = join(sandbox.home, "plugins", "acme", "big", "1.0.0");
    expect((await readFile(join(installed, "data", "blob.bin"))).equals(payload)).toBe(true);
    expect(await readdir(join(sandbox.home, "plugins", ".staging"))).toEqual([]);
    expect((await readdir(join(sandbox.home, "locks"))).filter((f) => f.endsWith(".lock"))).toEqual([]);
    const lock = JSON.parse(await readFile(join(project, "heddle.lock"), "utf8"));
    expect(lock.plugins["acme/big"].version).toBe("1.0.0");
  });
});
