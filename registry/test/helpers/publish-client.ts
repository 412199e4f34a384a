// A minimal publisher written against the HTTP API (not the heddle-host
// client), so the registry tests check the wire contract on their own.
import { createHash } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Header } from "tar";
import { gzipSync } from "node:zlib";
import * as tar from "tar";
import { request } from "undici";
import { generateEd25519KeyPair, signPayload, type Ed25519KeyPair } from "../../src/crypto/keys.js";
import { publisherPayload } from "../../src/crypto/signed-payloads.js";

export const MINIMAL_PLUGIN = fileURLToPath(new URL("../fixtures/minimal-plugin", import.meta.url));

export interface Archive {
  bytes: Buffer;
  sha256: string;
  integrity: string;
}

/** Hashes bytes the way the registry does. */
export function archiveOf(bytes: Buffer): Archive {
  return { bytes, sha256: createHash("sha256").update(bytes).digest("hex"), integrity: `sha512-${createHash("sha512").update(bytes).digest("base64")}` };
}

/** Packs the minimal plugin fixture with `manifest` overrides, using tar.c. */
export async function packFixture(overrides: Record<string, unknown> = {}): Promise<{ archive: Archive; manifest: Record<string, unknown> }> {
  const dir = await mkdtemp(join(tmpdir(), "fhub-fixture-"));
  try {
    await cp(MINIMAL_PLUGIN, dir, { recursive: true });
    const manifest = { ...JSON.parse(await readFile(join(dir, "heddle-plugin.json"), "utf8")), ...overrides };
    await writeFile(join(dir, "heddle-plugin.json"), JSON.stringify(manifest));
    const out = join(dir, "out.tgz");
    await tar.c({ gzip: true, cwd: dir, file: out, portable: true }, ["heddle-plugin.json", "plugin.py"]);
    return { archive: archiveOf(await readFile(out)), manifest };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A raw .tgz with hand-made entries (for unsafe archives). */
export function rawTgz(entries: Array<{ path: string; type?: string; linkpath?: string; body?: string | Buffer }>): Archive {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? "");
    const h = new Header({ path: e.path, type: (e.type ?? "File") as never, size: e.type && e.type !== "File" ? 0 : body.length, mode: 0o644, mtime: new Date(0), linkpath: e.linkpath ?? "", uid: 0, gid: 0 });
    h.encode();
    blocks.push(h.block!);
    if (body.length > 0 && (!e.type || e.type === "File")) blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return archiveOf(gzipSync(Buffer.concat(blocks)));
}

/** Uploads an archive; returns status and JSON body. */
export async function upload(url: string, name: string, archive: Archive, token?: string): Promise<{ status: number; body: any }> {
  const res = await request(`${url}/v1/packages/${name}/uploads`, {
    method: "POST",
    body: archive.bytes,
    headers: { "content-type": "application/gzip", ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return { status: res.statusCode, body: await res.body.json() };
}

/** Sends a JSON request. */
export async function call(url: string, method: "GET" | "POST" | "PUT" | "DELETE", path: string, json?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const res = await request(`${url}${path}`, {
    method,
    body: json === undefined ? undefined : JSON.stringify(json),
    headers: { ...(json === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : null };
}

/** Uploads and publishes `archive` as name@version, signed by `key`. */
export async function publish(
  url: string,
  token: string,
  manifest: Record<string, unknown>,
  archive: Archive,
  key: Ed25519KeyPair = generateEd25519KeyPair(),
  extra: Record<string, unknown> = {},
): Promise<{ status: number; body: any; key: Ed25519KeyPair }> {
  const name = String(manifest.name);
  const version = String(manifest.version);
  const up = await upload(url, name, archive, token);
  if (up.status !== 201) return { ...up, key };
  const artifacts = [{ platform: "any", os: "any", arch: "any", size: archive.bytes.length, sha256: archive.sha256, integrity: archive.integrity }];
  const signature = signPayload(key.privateKeyPem, publisherPayload({ name, version, manifest, artifacts }));
  const res = await call(url, "PUT", `/v1/packages/${name}/versions/${version}`, { manifest, artifacts, publisher: { keyId: key.keyId, publicKey: key.publicKey, signature }, ...extra }, token);
  return { ...res, key };
}
