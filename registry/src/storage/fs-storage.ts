import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { RegistryError } from "../errors.js";
import { writeFileAtomic } from "./atomic-file.js";
import { acquireFileLock } from "./file-lock.js";
import type { BlobInfo, RegistryStorage } from "./storage.js";

const DOCUMENT_KEY = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/i;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The default storage: a folder on the local filesystem.
 *
 *     <root>/blobs/sha256/<first 2 hex>/<sha256>.tgz   immutable archive bytes
 *     <root>/blobs/sha256/<first 2 hex>/<sha256>.json  its BlobInfo
 *     <root>/docs/<key>.json                           JSON documents
 *     <root>/tmp/                                      uploads in progress
 *
 * Blobs are written to tmp/ and renamed to their address once hashed, so a
 * blob that exists is always complete. Documents are replaced atomically
 * (temp file + rename) under an in-process queue and a lock file.
 */
export class FsStorage implements RegistryStorage {
  private readonly queues = new Map<string, Promise<unknown>>();

  /** `root` is created on first use. */
  constructor(readonly root: string) {}

  async putBlob(source: Readable, maxBytes: number): Promise<BlobInfo> {
    const tmpDir = join(this.root, "tmp");
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `upload-${process.pid}-${randomBytes(6).toString("hex")}`);
    const sha256 = createHash("sha256");
    const sha512 = createHash("sha512");
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > maxBytes) {
          done(new RegistryError("PACKAGE_TOO_LARGE", `the upload is larger than this registry's limit of ${maxBytes} bytes`, "make the package smaller, or ask the registry operator to raise --max-upload-bytes"));
          return;
        }
        sha256.update(chunk);
        sha512.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(tmp, { mode: 0o644 }));
      const info: BlobInfo = { sha256: sha256.digest("hex"), integrity: `sha512-${sha512.digest("base64")}`, size };
      const target = this.blobPath(info.sha256);
      await mkdir(dirname(target), { recursive: true });
      if (await exists(target)) await rm(tmp, { force: true });
      else await rename(tmp, target);
      await writeFileAtomic(`${target.slice(0, -".tgz".length)}.json`, JSON.stringify(info));
      return info;
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async statBlob(sha256: string): Promise<BlobInfo | null> {
    if (!SHA256_HEX.test(sha256)) return null;
    const text = await readIfExists(`${this.blobPath(sha256).slice(0, -".tgz".length)}.json`);
    return text === null ? null : (JSON.parse(text) as BlobInfo);
  }

  async openBlob(sha256: string): Promise<{ stream: Readable; size: number } | null> {
    if (!SHA256_HEX.test(sha256)) return null;
    const path = this.blobPath(sha256);
    try {
      const info = await stat(path);
      return { stream: createReadStream(path), size: info.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }

  async readDocument<T>(key: string): Promise<T | null> {
    const text = await readIfExists(this.documentPath(key));
    return text === null ? null : (JSON.parse(text) as T);
  }

  async updateDocument<T>(key: string, update: (current: T | null) => T | undefined | Promise<T | undefined>): Promise<T | null> {
    const path = this.documentPath(key);
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(async () => {
      await mkdir(dirname(path), { recursive: true });
      const release = await acquireFileLock(`${path}.lock`);
      try {
        const text = await readIfExists(path);
        const current = text === null ? null : (JSON.parse(text) as T);
        const next = await update(current);
        if (next === undefined) return current;
        await writeFileAtomic(path, `${JSON.stringify(next, null, 2)}\n`);
        return next;
      } finally {
        await release();
      }
    });
    this.queues.set(key, run);
    try {
      return await run;
    } finally {
      if (this.queues.get(key) === run) this.queues.delete(key);
    }
  }

  async listDocuments(prefix: string): Promise<string[]> {
    const base = join(this.root, "docs");
    const start = join(base, prefix);
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw err;
      }
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.name.endsWith(".json") && !entry.name.startsWith(".")) {
          keys.push(relative(base, full).slice(0, -".json".length).split(sep).join("/"));
        }
      }
    };
    await walk(start);
    return keys.sort();
  }

  private blobPath(sha256: string): string {
    return join(this.root, "blobs", "sha256", sha256.slice(0, 2), `${sha256}.tgz`);
  }

  private documentPath(key: string): string {
    if (!DOCUMENT_KEY.test(key) || key.split("/").some((s) => s === "." || s === "..")) {
      throw new RegistryError("REGISTRY_BAD_REQUEST", `invalid storage key ${JSON.stringify(key)}`);
    }
    return join(this.root, "docs", `${key}.json`);
  }
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
