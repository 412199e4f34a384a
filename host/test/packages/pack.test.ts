// `pack` in-process on real folders: same input → same bytes, normalised
// metadata, manifest validation with pointed errors, per-platform archives,
// ignores, and refusal of links that leave the folder.
import { createHash } from "node:crypto";
import { chmod, mkdir, readFile, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tar from "tar";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PackageError } from "../../src/packages/errors.js";
import { packPlugin } from "../../src/packages/pack.js";
import { validatePackageManifest } from "../../src/packages/package-manifest.js";
import { makeSandbox, REPO, writePlugin, type Sandbox } from "./helpers.js";

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await makeSandbox();
});
afterEach(async () => {
  await sandbox.dispose();
});

async function entriesOf(file: string): Promise<Array<{ path: string; mode: number; mtime: number; uid: number; gid: number; uname: string }>> {
  const entries: Array<{ path: string; mode: number; mtime: number; uid: number; gid: number; uname: string }> = [];
  await tar.t({ file, onReadEntry: (e) => entries.push({ path: e.path, mode: e.mode!, mtime: e.mtime!.getTime(), uid: e.uid!, gid: e.gid!, uname: e.uname ?? "" }) });
  return entries;
}

describe("reproducible archives", () => {
  it("gives the same bytes for the same folder, whatever the mtimes, and normalises metadata", async () => {
    const dir = await writePlugin(join(sandbox.root, "p"), { name: "acme/repro", version: "1.0.0" }, { "lib/b.py": "b = 1\n", "lib/a.py": "a = 1\n", "run.sh": "#!/bin/sh\n" });
    await chmod(join(dir, "run.sh"), 0o775);
    await chmod(join(dir, "lib/a.py"), 0o600);
    const first = await packPlugin(dir, { outDir: join(sandbox.root, "out1") });
    await utimes(join(dir, "lib/a.py"), new Date(), new Date(Date.now() - 86_400_000));
    const second = await packPlugin(dir, { outDir: join(sandbox.root, "out2") });
    const [a, b] = await Promise.all([readFile(first.artifacts[0]!.path), readFile(second.artifacts[0]!.path)]);
    expect(a.equals(b)).toBe(true);
    expect(first.artifacts[0]!.sha256).toBe(createHash("sha256").update(a).digest("hex"));
    expect(first.artifacts[0]!.integrity).toBe(`sha512-${createHash("sha512").update(a).digest("base64")}`);
    expect(a[9]).toBe(3); // gzip OS byte fixed
    expect(a.readUInt32LE(4)).toBe(0); // gzip MTIME zero

    const entries = await entriesOf(first.artifacts[0]!.path);
    expect(entries.map((e) => e.path)).toEqual(["heddle-plugin.json", "lib/a.py", "lib/b.py", "plugin.py", "run.sh"]);
    expect(new Set(entries.map((e) => e.mtime))).toEqual(new Set([Date.UTC(2000, 0, 1)]));
    expect(entries.every((e) => e.uid === 0 && e.gid === 0 && e.uname === "")).toBe(true);
    expect(entries.find((e) => e.path === "run.sh")!.mode).toBe(0o755);
    expect(entries.find((e) => e.path === "lib/a.py")!.mode).toBe(0o644);
  });

  it("leaves out dependencies, caches and what .heddleignore names", async () => {
    const dir = await writePlugin(join(sandbox.root, "p"), { name: "acme/ignore", version: "1.0.0" }, {
      "node_modules/x/index.js": "x",
      ".venv/bin/python": "x",
      "__pycache__/plugin.cpython-311.pyc": "x",
      "notes/draft.md": "x",
      "secret.key": "x",
      ".heddleignore": "# local only\nnotes\n*.key\n",
    });
    const { artifacts } = await packPlugin(dir, { outDir: join(sandbox.root, "out") });
    expect((await entriesOf(artifacts[0]!.path)).map((e) => e.path)).toEqual(["heddle-plugin.json", "plugin.py"]);
  });

  it("refuses a symbolic link that leaves the plugin folder", async () => {
    const dir = await writePlugin(join(sandbox.root, "p"), { name: "acme/link", version: "1.0.0" });
    await symlink("/etc/passwd", join(dir, "passwd"));
    await expect(packPlugin(dir, { outDir: join(sandbox.root, "out") })).rejects.toMatchObject({ code: "UNSAFE_ARCHIVE" });
    await rm(join(dir, "passwd"));
    await symlink("plugin.py", join(dir, "alias.py"));
    const { artifacts } = await packPlugin(dir, { outDir: join(sandbox.root, "out") });
    expect((await entriesOf(artifacts[0]!.path)).map((e) => e.path)).toContain("alias.py");
  });
});

describe("per-platform archives", () => {
  it("puts each platform's files only in its archive, with its entrypoint", async () => {
    const dir = await writePlugin(join(sandbox.root, "p"), {
      name: "acme/native",
      version: "1.0.0",
      runtime: "go",
      entrypoint: "bin/plugin",
      artifacts: [
        { os: "linux", arch: "x64", entrypoint: "bin/linux-x64/plugin", files: ["bin/linux-x64"] },
        { os: "darwin", arch: "arm64", entrypoint: "bin/darwin-arm64/plugin", files: ["bin/darwin-arm64"] },
      ],
    }, { "bin/linux-x64/plugin": "ELF", "bin/darwin-arm64/plugin": "MACHO", "README.md": "shared" });
    const { artifacts } = await packPlugin(dir, { outDir: join(sandbox.root, "out") });
    expect(artifacts.map((a) => a.platform)).toEqual(["darwin-arm64", "linux-x64"]);
    const linux = artifacts.find((a) => a.platform === "linux-x64")!;
    const paths = (await entriesOf(linux.path)).map((e) => e.path);
    expect(paths).toContain("bin/linux-x64/plugin");
    expect(paths).not.toContain("bin/darwin-arm64/plugin");
    expect(paths).toContain("README.md");
    const inner: Record<string, unknown>[] = [];
    await tar.t({ file: linux.path, onReadEntry: (e) => { if (e.path === "heddle-plugin.json") { const c: Buffer[] = []; e.on("data", (d: Buffer) => c.push(d)); e.on("end", () => inner.push(JSON.parse(Buffer.concat(c).toString()))); } else e.resume(); } });
    expect(inner[0]).toMatchObject({ entrypoint: "bin/linux-x64/plugin", platform: "linux-x64" });
    expect(inner[0]!.artifacts).toBeUndefined();
  });
});

describe("node plugins", () => {
  it("ship one esbuild bundle with the SDK left to the host", async () => {
    const { artifacts, manifest } = await packPlugin(join(REPO, "examples", "ts", "security"), { outDir: join(sandbox.root, "out"), naming: { namespace: "acme" } });
    expect(manifest.name).toBe("acme/security-ts");
    const paths = (await entriesOf(artifacts[0]!.path)).map((e) => e.path);
    expect(paths).toContain("heddle-bundle.cjs");
    const bundle: string[] = [];
    await tar.t({ file: artifacts[0]!.path, onReadEntry: (e) => { if (e.path === "heddle-bundle.cjs") e.on("data", (d: Buffer) => bundle.push(d.toString())); else e.resume(); } });
    expect(bundle.join("")).toContain('require("@heddle/sdk")');
  });
});

describe("manifest validation", () => {
  it("lists every problem with its JSON pointer", () => {
    const err = (() => {
      try {
        validatePackageManifest({ name: "Acme/Bad Name", version: "1.0", runtime: "cobol", artifacts: [{ os: "linux" }] });
      } catch (e) {
        return e as PackageError;
      }
      throw new Error("expected a failure");
    })();
    expect(err.code).toBe("MANIFEST_INVALID");
    expect(err.message).toContain("/name: must be <namespace>/<name>");
    expect(err.message).toContain("/version: must be a semantic version");
    expect(err.message).toContain('/runtime: must be one of "python", "node", "go", "rust", "exec"');
    expect(err.message).toContain("/entrypoint: is required");
    expect(err.message).toContain("/artifacts/0/arch: is required");
  });

  it("needs a namespace from the manifest, --name or --namespace", async () => {
    const dir = join(sandbox.root, "bare");
    await mkdir(dir);
    await writeFile(join(dir, "heddle-plugin.json"), JSON.stringify({ name: "bare", version: "1.0.0", runtime: "exec", entrypoint: "run" }));
    await writeFile(join(dir, "run"), "");
    await expect(packPlugin(dir, { outDir: join(sandbox.root, "out") })).rejects.toMatchObject({ code: "MANIFEST_INVALID", field: "/name" });
    const { manifest, artifacts } = await packPlugin(dir, { outDir: join(sandbox.root, "out"), naming: { namespace: "acme" } });
    expect(manifest.name).toBe("acme/bare");
    expect(artifacts[0]!.path).toMatch(/acme-bare-1\.0\.0-any\.tgz$/);
  });
});

describe("prebuilt binaries (--build)", () => {
  it("builds a Go plugin into a per-platform archive, reproducibly", async () => {
    const here = `${process.platform}-${process.arch}`;
    const dir = await writePlugin(join(sandbox.root, "gop"), { name: "acme/gop", version: "1.0.0", runtime: "go", entrypoint: "." }, {
      "go.mod": "module example.com/gop\n\ngo 1.22\n",
      "main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"gop\") }\n",
    });
    const first = await packPlugin(dir, { outDir: join(sandbox.root, "out1"), build: [] });
    const second = await packPlugin(dir, { outDir: join(sandbox.root, "out2"), build: [] });
    expect(first.artifacts.map((a) => a.platform)).toEqual([here]);
    expect(first.artifacts[0]!.integrity).toBe(second.artifacts[0]!.integrity);
    expect(first.manifest.artifacts).toEqual([{ os: process.platform, arch: process.arch, entrypoint: `bin/${here}/gop` }]);
    const entries = await entriesOf(first.artifacts[0]!.path);
    expect(entries.find((e) => e.path === `bin/${here}/gop`)!.mode).toBe(0o755);
    const out = join(sandbox.root, "unpacked");
    await mkdir(out);
    await tar.x({ file: first.artifacts[0]!.path, cwd: out });
    const { execa } = await import("execa");
    expect((await execa(join(out, "bin", here, "gop"))).stdout).toBe("gop");
  });

  it("builds a Rust plugin for this machine and refuses other platforms", async () => {
    const here = `${process.platform}-${process.arch}`;
    const dir = await writePlugin(join(sandbox.root, "rsp"), { name: "acme/rsp", version: "1.0.0", runtime: "rust", entrypoint: "." }, {
      "Cargo.toml": '[package]\nname = "rsp"\nversion = "1.0.0"\nedition = "2021"\n',
      "src/main.rs": 'fn main() { println!("rsp"); }\n',
    });
    const previous = process.env.CARGO_TARGET_DIR;
    process.env.CARGO_TARGET_DIR = join(sandbox.root, "cargo-target");
    try {
      const { artifacts } = await packPlugin(dir, { outDir: join(sandbox.root, "out"), build: [] });
      expect(artifacts.map((a) => a.platform)).toEqual([here]);
      expect((await entriesOf(artifacts[0]!.path)).map((e) => e.path)).toContain(`bin/${here}/rsp`);
      await expect(packPlugin(dir, { outDir: join(sandbox.root, "out"), build: ["windows-x64"] })).rejects.toMatchObject({ code: "USAGE" });
    } finally {
      if (previous === undefined) delete process.env.CARGO_TARGET_DIR;
      else process.env.CARGO_TARGET_DIR = previous;
    }
  });
});
