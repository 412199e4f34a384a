// Attacks and accidents, through the real CLIs against a real registry whose
// data folder the test alters (as a compromised registry or mirror would):
// tampered archives, broken and foreign signatures, archives that try to
// escape the plugin folder, a registry that dies mid-download, a registry
// that changed its key, and a lock file whose hashes no longer match.
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Header } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeyPair, keyPairFromPem, publisherPayload, releasePayload, signPayload, type KeyPair } from "../../src/packages/signing.js";
import { errorCode, makeSandbox, publishInProcess, startRegistry, writePlugin, type Sandbox, type TestRegistry } from "./helpers.js";

let sandbox: Sandbox;
let registry: TestRegistry;
let token: string;
let publisherKey: KeyPair;

beforeAll(async () => {
  sandbox = await makeSandbox();
  registry = await startRegistry(sandbox.root);
  token = await registry.token(["publish:acme/*"]);
  for (const name of ["tamper", "sig", "evil", "locked"]) {
    const dir = await writePlugin(join(sandbox.root, "src", name), { name: `acme/${name}`, version: "1.0.0" });
    await publishInProcess(sandbox, dir, registry, token);
  }
  publisherKey = keyPairFromPem(await readFile(join(sandbox.home, "keys", "publisher-ed25519.pem"), "utf8"));
});
afterAll(async () => {
  await registry?.stop();
  await sandbox?.dispose();
});

const indexPath = (name: string): string => join(registry.dataDir, "docs", "packages", `${name}.json`);
const registryPem = (): Promise<string> => readFile(join(registry.dataDir, "keys", "registry-ed25519.pem"), "utf8");

async function readIndex(name: string): Promise<any> {
  return JSON.parse(await readFile(indexPath(name), "utf8"));
}

/** Re-signs a version entry with the registry's own key, as a compromised registry could. */
async function countersign(entry: any): Promise<void> {
  entry.registrySignature.signature = signPayload(await registryPem(), releasePayload(entry));
}

/** Stores `archive` as a new version of `name`, signed by `signer` and countersigned: only the archive's content is wrong. */
async function injectVersion(name: string, version: string, archive: Buffer, signer: KeyPair = publisherKey): Promise<void> {
  const sha256 = createHash("sha256").update(archive).digest("hex");
  const integrity = `sha512-${createHash("sha512").update(archive).digest("base64")}`;
  const blobDir = join(registry.dataDir, "blobs", "sha256", sha256.slice(0, 2));
  await mkdir(blobDir, { recursive: true });
  await writeFile(join(blobDir, `${sha256}.tgz`), archive);
  await writeFile(join(blobDir, `${sha256}.json`), JSON.stringify({ sha256, integrity, size: archive.length }));
  const index = await readIndex(name);
  const manifest = { name, version, runtime: "python", entrypoint: "plugin.py" };
  const artifacts = [{ platform: "any", os: "any", arch: "any", size: archive.length, sha256, integrity }];
  const signature = signPayload(signer.privateKeyPem, publisherPayload({ name, version, manifest, artifacts }));
  const entry: any = {
    name, version, manifest, artifacts, publishedAt: new Date().toISOString(),
    publisher: { keyId: signer.keyId, publicKey: signer.publicKey, signature },
    registrySignature: { keyId: index.versions["1.0.0"].registrySignature.keyId, signature: "" },
    yanked: null, deprecated: null,
  };
  await countersign(entry);
  index.versions[version] = entry;
  await writeFile(indexPath(name), JSON.stringify(index));
}

/** A .tgz with hand-made entries. */
function rawTgz(entries: Array<{ path: string; type?: string; linkpath?: string; body?: string }>): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? "");
    const isFile = !e.type || e.type === "File";
    const h = new Header({ path: e.path, type: (e.type ?? "File") as never, size: isFile ? body.length : 0, mode: 0o644, mtime: new Date(0), linkpath: e.linkpath ?? "", uid: 0, gid: 0 });
    h.encode();
    blocks.push(h.block!);
    if (isFile && body.length > 0) blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/** Installs in a fresh project folder; returns the result and that folder. */
async function installFresh(spec: string, label: string): Promise<{ exitCode: number; stderr: string; project: string }> {
  const project = join(sandbox.root, "projects", label);
  await mkdir(project, { recursive: true });
  const r = await sandbox.host(["install", spec, "--registry", registry.url, "--quiet"], { cwd: project });
  return { ...r, project };
}

async function expectNothingInstalled(name: string, project: string): Promise<void> {
  expect(existsSync(join(sandbox.home, "plugins", ...name.split("/")))).toBe(false);
  expect(existsSync(join(project, "heddle.lock"))).toBe(false);
  const staging = join(sandbox.home, "plugins", ".staging");
  if (existsSync(staging)) expect(await readdir(staging)).toEqual([]);
}

describe("integrity", () => {
  it("refuses an archive whose bytes changed on the registry", async () => {
    const entry = (await readIndex("acme/tamper")).versions["1.0.0"];
    const blob = join(registry.dataDir, "blobs", "sha256", entry.artifacts[0].sha256.slice(0, 2), `${entry.artifacts[0].sha256}.tgz`);
    await writeFile(blob, rawTgz([{ path: "heddle-plugin.json", body: JSON.stringify({ name: "acme/tamper", version: "1.0.0", runtime: "exec", entrypoint: "x" }) }, { path: "x", body: "rm -rf /" }]));
    const r = await installFresh("acme/tamper", "tampered");
    expect(r.exitCode).toBe(1);
    expect(errorCode(r.stderr)).toBe("INTEGRITY_MISMATCH");
    await expectNothingInstalled("acme/tamper", r.project);
  });

  it("refuses a pinned version the registry now serves with other hashes", async () => {
    const project = join(sandbox.root, "projects", "locked");
    await mkdir(project, { recursive: true });
    expect((await sandbox.host(["install", "acme/locked", "--registry", registry.url, "--quiet"], { cwd: project })).exitCode).toBe(0);
    const lockPath = join(project, "heddle.lock");
    const lock = JSON.parse(await readFile(lockPath, "utf8"));
    lock.plugins["acme/locked"].artifacts.any.integrity = `sha512-${randomBytes(64).toString("base64")}`;
    await writeFile(lockPath, JSON.stringify(lock));
    await sandbox.host(["remove", "acme/locked@1.0.0"], { cwd: join(sandbox.root, "projects") });
    const r = await sandbox.host(["install"], { cwd: project });
    expect(errorCode(r.stderr)).toBe("INTEGRITY_MISMATCH");
    expect(r.stderr).toContain("heddle.lock");
  });
});

describe("signatures", () => {
  it("refuses an index entry altered after the registry signed it", async () => {
    const index = await readIndex("acme/sig");
    const entry = index.versions["1.0.0"];
    entry.manifest.description = "changed by someone";
    await writeFile(indexPath("acme/sig"), JSON.stringify(index));
    const r = await installFresh("acme/sig", "sig-registry");
    expect(errorCode(r.stderr)).toBe("SIGNATURE_INVALID");
    expect(r.stderr).toContain("countersignature");
    await expectNothingInstalled("acme/sig", r.project);
  });

  it("refuses a release whose publisher signature does not verify, even when countersigned", async () => {
    const index = await readIndex("acme/sig");
    await countersign(index.versions["1.0.0"]);
    await writeFile(indexPath("acme/sig"), JSON.stringify(index));
    const r = await installFresh("acme/sig", "sig-publisher");
    expect(errorCode(r.stderr)).toBe("SIGNATURE_INVALID");
    expect(r.stderr).toContain("publisher signature");
    await expectNothingInstalled("acme/sig", r.project);
  });

  it("refuses a release signed by a key that is not the namespace's", async () => {
    const archive = rawTgz([{ path: "heddle-plugin.json", body: JSON.stringify({ name: "acme/sig", version: "2.0.0", runtime: "python", entrypoint: "plugin.py" }) }]);
    await injectVersion("acme/sig", "2.0.0", archive, generateKeyPair());
    const r = await installFresh("acme/sig@2.0.0", "unknown-key");
    expect(errorCode(r.stderr)).toBe("SIGNATURE_UNKNOWN_KEY");
    await expectNothingInstalled("acme/sig", r.project);
  });

  it("refuses a registry that presents another key than the one pinned", async () => {
    const configPath = join(sandbox.home, "config.json");
    const config = JSON.parse(await readFile(configPath, "utf8"));
    const other = generateKeyPair();
    config.registryKeys[registry.url] = { keyId: other.keyId, publicKey: other.publicKey, firstSeen: "2026-01-01T00:00:00.000Z" };
    const original = await readFile(configPath, "utf8");
    await writeFile(configPath, JSON.stringify(config));
    try {
      const r = await installFresh("acme/locked", "key-changed");
      expect(errorCode(r.stderr)).toBe("REGISTRY_KEY_CHANGED");
    } finally {
      await writeFile(configPath, original);
    }
  });
});

describe("unsafe archives", () => {
  const manifest = (version: string): { path: string; body: string } => ({ path: "heddle-plugin.json", body: JSON.stringify({ name: "acme/evil", version, runtime: "python", entrypoint: "plugin.py" }) });
  it.each([
    { version: "2.0.0", label: "path traversal", entry: { path: "../../../escaped.txt", body: "owned" } },
    { version: "2.0.1", label: "absolute path", entry: { path: `${"/tmp"}/heddle-escaped-${process.pid}.txt`, body: "owned" } },
    { version: "2.0.2", label: "escaping symlink", entry: { path: "link", type: "SymbolicLink", linkpath: "../../../../.." } },
    { version: "2.0.3", label: "device file", entry: { path: "dev", type: "CharacterDevice" } },
  ])("refuses $label and writes nothing", async ({ version, label, entry }) => {
    const archive = rawTgz([manifest(version), entry, { path: "link/escaped-through-link.txt", body: "owned" }]);
    await injectVersion("acme/evil", version, archive);
    const r = await installFresh(`acme/evil@${version}`, label.replace(/ /g, "-"));
    expect(errorCode(r.stderr)).toBe("UNSAFE_ARCHIVE");
    expect(r.stderr).toContain(label === "device file" ? "CharacterDevice" : entry.path);
    await expectNothingInstalled("acme/evil", r.project);
    expect(existsSync(join(sandbox.home, "escaped.txt"))).toBe(false);
    expect(existsSync(join(sandbox.root, "escaped.txt"))).toBe(false);
    expect(existsSync(`/tmp/heddle-escaped-${process.pid}.txt`)).toBe(false);
  });
});

describe("registry down mid-download", () => {
  it("fails cleanly with DOWNLOAD_FAILED and leaves nothing behind", async () => {
    const dying = await startRegistry(sandbox.root);
    const proxy = http.createServer((req, res) => {
      const upstream = http.request(new URL(req.url!, dying.url), { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode!, up.headers);
        if (!req.url!.startsWith("/v1/blobs/")) {
          up.pipe(res);
          return;
        }
        let forwarded = 0;
        up.on("data", (chunk: Buffer) => {
          if (forwarded > 256 * 1024) return;
          res.write(chunk);
          forwarded += chunk.length;
          if (forwarded > 256 * 1024) {
            // the registry dies in the middle of the body
            dying.child.kill("SIGKILL");
            res.socket?.destroy();
          }
        });
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const publisher = await makeSandbox();
      try {
        const t = await dying.token(["publish:acme/*"]);
        const dir = await writePlugin(join(publisher.root, "big"), { name: "acme/big", version: "1.0.0" }, { "blob.bin": randomBytes(2 * 1024 * 1024) });
        await publishInProcess(publisher, dir, dying, t);
      } finally {
        await publisher.dispose();
      }
      const project = join(sandbox.root, "projects", "down");
      await mkdir(project, { recursive: true });
      const r = await sandbox.host(["install", "acme/big", "--registry", proxyUrl], { cwd: project });
      expect(r.exitCode).toBe(1);
      expect(errorCode(r.stderr)).toBe("DOWNLOAD_FAILED");
      await expectNothingInstalled("acme/big", project);
      expect((await readdir(join(sandbox.home, "locks"))).filter((f) => f.endsWith(".lock"))).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      proxy.closeAllConnections();
      await dying.stop();
    }
  });
});
