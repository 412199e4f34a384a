// In-process checks of the pieces under install: safe extraction (every kind
// of bad entry, and size bombs), version picking, the lock file format, the
// name → installed-folder lookup, and progress output.
import { existsSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Header } from "tar";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { safeExtract } from "../../src/packages/extract.js";
import { readLockFile, serializeLockFile, type LockFile } from "../../src/packages/lockfile.js";
import { createProgress } from "../../src/packages/progress.js";
import type { RemotePackage, RemoteVersion } from "../../src/packages/registry-types.js";
import { resolveInstalledPlugin } from "../../src/packages/resolve.js";
import { pickVersion } from "../../src/packages/resolve-version.js";
import { parsePackageSpec } from "../../src/packages/spec.js";
import { makeSandbox, type Sandbox } from "./helpers.js";

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await makeSandbox();
});
afterEach(async () => {
  await sandbox.dispose();
});

function tgz(entries: Array<{ path: string; type?: string; linkpath?: string; body?: string | Buffer; size?: number }>): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.isBuffer(e.body) ? e.body : Buffer.from(e.body ?? "");
    const isFile = !e.type || e.type === "File";
    const h = new Header({ path: e.path, type: (e.type ?? "File") as never, size: e.size ?? (isFile ? body.length : 0), mode: 0o644, mtime: new Date(0), linkpath: e.linkpath ?? "", uid: 0, gid: 0 });
    h.encode();
    blocks.push(h.block!);
    if (isFile && body.length > 0) blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

async function extract(archive: Buffer, limits = { maxUnpackedBytes: 10 * 1024 * 1024, maxEntries: 100 }): Promise<{ dest: string; error?: { code: string; message: string } }> {
  const file = join(sandbox.root, `a-${Math.random()}.tgz`);
  await writeFile(file, archive);
  const dest = join(sandbox.root, "dest", String(Math.random()).slice(2));
  await mkdir(dest, { recursive: true });
  try {
    await safeExtract(file, dest, limits, "acme/x@1.0.0");
    return { dest };
  } catch (err) {
    return { dest, error: err as { code: string; message: string } };
  }
}

describe("safe extraction", () => {
  it("unpacks files, folders and inner links", async () => {
    const { dest, error } = await extract(tgz([{ path: "a/b.txt", body: "hello" }, { path: "c", type: "SymbolicLink", linkpath: "a/b.txt" }, { path: "d/", type: "Directory" }]));
    expect(error).toBeUndefined();
    expect((await readdir(dest)).sort()).toEqual(["a", "c", "d"]);
  });

  it.each([
    ["../up.txt", { path: "../up.txt", body: "x" }],
    ["absolute", { path: "/tmp/hh-abs.txt", body: "x" }],
    ["escaping symlink", { path: "l", type: "SymbolicLink", linkpath: "../../.." }],
    ["absolute symlink", { path: "l", type: "SymbolicLink", linkpath: "/etc" }],
    ["escaping hard link", { path: "h", type: "Link", linkpath: "../../etc/passwd" }],
    ["character device", { path: "tty", type: "CharacterDevice" }],
    ["block device", { path: "sda", type: "BlockDevice" }],
    ["FIFO", { path: "pipe", type: "FIFO" }],
  ])("refuses %s", async (_label, entry) => {
    const { dest, error } = await extract(tgz([{ path: "ok.txt", body: "fine" }, entry, { path: "l/through-link.txt", body: "x" }]));
    expect(error?.code).toBe("UNSAFE_ARCHIVE");
    expect(existsSync(join(dest, "..", "up.txt"))).toBe(false);
    expect(existsSync("/tmp/hh-abs.txt")).toBe(false);
  });

  it("refuses archives over the entry and size limits, including a zip bomb", async () => {
    const many = await extract(tgz(Array.from({ length: 5 }, (_, i) => ({ path: `f${i}`, body: "x" }))), { maxUnpackedBytes: 1e6, maxEntries: 3 });
    expect(many.error?.message).toContain("more than 3 entries");
    const bomb = await extract(tgz([{ path: "zeros", body: Buffer.alloc(8 * 1024 * 1024) }]), { maxUnpackedBytes: 1024 * 1024, maxEntries: 10 });
    expect(bomb.error?.code).toBe("UNSAFE_ARCHIVE");
    expect(bomb.error?.message).toContain("unpacked bytes");
  });

  it("refuses bytes that are not a gzipped tar", async () => {
    const { error } = await extract(Buffer.from("not an archive at all"));
    expect(error?.code).toBe("UNSAFE_ARCHIVE");
  });
});

function pkg(versions: Array<[string, boolean?]>, distTags: Record<string, string> = {}): RemotePackage {
  const entries: Record<string, RemoteVersion> = {};
  for (const [v, yanked] of versions) {
    entries[v] = { name: "acme/x", version: v, yanked: yanked ? { reason: "bad", at: "" } : null } as RemoteVersion;
  }
  return { name: "acme/x", distTags, versions: entries, createdAt: "", updatedAt: "" };
}

describe("version picking", () => {
  const p = pkg([["1.0.0"], ["1.1.0", true], ["1.2.0-rc.1"], ["2.0.0"]], { latest: "2.0.0", next: "1.2.0-rc.1" });
  it("follows ranges, tags and pins, and skips yanked versions", () => {
    expect(pickVersion(p, undefined).version).toBe("2.0.0");
    expect(pickVersion(p, "^1").version).toBe("1.0.0");
    expect(pickVersion(p, "next").version).toBe("1.2.0-rc.1");
    expect(pickVersion(p, "^1", "1.1.0").version).toBe("1.1.0");
    expect(pickVersion(p, "^2", "1.1.0").version).toBe("2.0.0");
    expect(() => pickVersion(p, "1.1.0")).toThrow(/yanked/);
    expect(() => pickVersion(p, "^3")).toThrow(/no version of acme\/x matches \^3/);
    expect(() => pickVersion(p, "beta")).toThrow(/no dist-tag beta/);
    expect(pickVersion(pkg([["1.0.0"], ["1.1.0", true]], { latest: "1.1.0" }), undefined).version).toBe("1.0.0");
  });

  it("parses specs and rejects nonsense", () => {
    expect(parsePackageSpec("acme/x@^1.2")).toEqual({ name: "acme/x", range: "^1.2" });
    expect(() => parsePackageSpec("x")).toThrow(/not a package name/);
    expect(() => parsePackageSpec("acme/x@")).toThrow(/empty version range/);
    expect(() => parsePackageSpec("acme/x@^^1")).toThrow(/neither a semver range/);
  });
});

describe("lock file", () => {
  it("is written sorted and read back; malformed files are named", async () => {
    const lock: LockFile = {
      lockfileVersion: 1,
      plugins: {
        "b/y": { version: "1.0.0", registry: "http://r", publisherKeyId: "k", artifacts: { "linux-x64": { integrity: "sha512-b", sha256: "2", size: 2 }, any: { integrity: "sha512-a", sha256: "1", size: 1 } } },
        "a/x": { version: "2.0.0", range: "^2", registry: "http://r", publisherKeyId: "k", artifacts: {} },
      },
    };
    const text = serializeLockFile(lock);
    expect(text.indexOf('"a/x"')).toBeLessThan(text.indexOf('"b/y"'));
    expect(text.indexOf('"any"')).toBeLessThan(text.indexOf('"linux-x64"'));
    const path = join(sandbox.work, "heddle.lock");
    await writeFile(path, text);
    expect(await readLockFile(path)).toEqual(JSON.parse(text));
    await writeFile(path, '{"lockfileVersion": 1, "plugins": {"a/x": {"version": "^1"}}}');
    await expect(readLockFile(path)).rejects.toMatchObject({ code: "LOCKFILE_INVALID" });
  });
});

describe("installed plugin lookup", () => {
  async function fakeInstall(name: string, version: string): Promise<string> {
    const dir = join(sandbox.home, "plugins", ...name.split("/"), version);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, ".heddle-install.json"), JSON.stringify({ name, version }));
    return dir;
  }

  it("picks the highest installed match, or the lock file's pin, and says how to install otherwise", async () => {
    const previous = { home: process.env.HEDDLE_HOME, cwd: process.cwd() };
    process.env.HEDDLE_HOME = sandbox.home;
    process.chdir(sandbox.work);
    try {
      const v1 = await fakeInstall("acme/x", "1.4.0");
      const v2 = await fakeInstall("acme/x", "2.1.0");
      expect(await resolveInstalledPlugin("acme/x")).toBe(v2);
      expect(await resolveInstalledPlugin("acme/x@^1")).toBe(v1);
      await expect(resolveInstalledPlugin("acme/x@^3")).rejects.toMatchObject({ code: "PLUGIN_NOT_INSTALLED", hint: "run `heddle-host install acme/x@^3` first" });
      await expect(resolveInstalledPlugin("./no/such/dir")).rejects.toMatchObject({ code: "USAGE" });
      await writeFile(join(sandbox.work, "heddle.lock"), JSON.stringify({ lockfileVersion: 1, plugins: { "acme/x": { version: "1.4.0", registry: "http://r", publisherKeyId: "k", artifacts: {} } } }));
      expect(await resolveInstalledPlugin("acme/x")).toBe(v1);
      await expect(resolveInstalledPlugin("acme/x@^2")).rejects.toMatchObject({ code: "PLUGIN_NOT_INSTALLED" });
    } finally {
      process.chdir(previous.cwd);
      if (previous.home === undefined) delete process.env.HEDDLE_HOME;
      else process.env.HEDDLE_HOME = previous.home;
    }
  });
});

describe("progress output", () => {
  it("draws a bar on a terminal and plain lines otherwise", () => {
    const plain: string[] = [];
    const p = createProgress("acme/x@1.0.0", "download", { write: (t) => void plain.push(t), isTTY: false });
    p.start(2_000_000);
    p.advance(2_000_000);
    p.done("sha512 verified");
    expect(plain[0]).toBe("acme/x@1.0.0: downloading 2.0 MB\n");
    expect(plain[1]).toMatch(/^acme\/x@1\.0\.0: downloaded 2\.0 MB in \d+\.\d\d s, sha512 verified\n$/);
    const tty: string[] = [];
    const bar = createProgress("acme/x@1.0.0", "download", { write: (t) => void tty.push(t), isTTY: true, columns: 100 });
    bar.start(1000);
    bar.advance(500);
    bar.done();
    expect(tty[0]).toMatch(/^\racme\/x@1\.0\.0 \[>\s+\]\s+0% 0 B\/1 kB/);
    expect(tty.at(-1)).toMatch(/^\racme\/x@1\.0\.0: downloaded 500 B/);
  });
});
