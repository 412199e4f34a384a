// Writes a reproducible .tgz: the same entries give the same bytes on any
// machine. Entries are written with tar's Header/Pax classes directly (rather
// than tar.c) so every field is ours: fixed mtime, uid/gid 0, no user names,
// modes 0644/0755, caller-given order, and content from disk or memory.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { Header, Pax } from "tar";

/** One entry to write: a file from disk, a file from memory, or a symlink. */
export type TarEntry =
  | { path: string; kind: "file"; source: string; size: number; executable: boolean }
  | { path: string; kind: "bytes"; data: Buffer; executable: boolean }
  | { path: string; kind: "symlink"; linkpath: string };

/** The written archive's size and hashes. */
export interface WrittenArchive {
  path: string;
  size: number;
  /** Hex SHA-256. */
  sha256: string;
  /** SRI `sha512-<base64>`. */
  integrity: string;
}

/** 2000-01-01T00:00:00Z: every entry's mtime (a fixed date that every tar accepts). */
export const FIXED_MTIME = new Date(Date.UTC(2000, 0, 1));
const BLOCK = 512;

/**
 * Writes `entries` in the given order as a gzipped tar to `outFile`.
 * Throws the fs error if a source cannot be read, or an Error if a file's
 * size changed while packing (the archive would not match its header).
 */
export async function writeReproducibleTgz(entries: TarEntry[], outFile: string): Promise<WrittenArchive> {
  const sha256 = createHash("sha256");
  const sha512 = createHash("sha512");
  let size = 0;
  let first = true;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (first) {
        // gzip header: MTIME (bytes 4-7) is 0 in Node's zlib; force OS (byte 9) to 3 (Unix) on every platform
        chunk = Buffer.from(chunk);
        chunk[9] = 3;
        first = false;
      }
      size += chunk.length;
      sha256.update(chunk);
      sha512.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(Readable.from(tarBlocks(entries)), createGzip({ level: 9, memLevel: 9 }), meter, createWriteStream(outFile));
  return { path: outFile, size, sha256: sha256.digest("hex"), integrity: `sha512-${sha512.digest("base64")}` };
}

async function* tarBlocks(entries: TarEntry[]): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    const size = entry.kind === "file" ? entry.size : entry.kind === "bytes" ? entry.data.length : 0;
    yield* headerBlocks(entry, size);
    if (entry.kind === "bytes") yield entry.data;
    else if (entry.kind === "file") {
      let read = 0;
      for await (const chunk of createReadStream(entry.source) as AsyncIterable<Buffer>) {
        read += chunk.length;
        if (read > size) throw new Error(`${entry.source} grew while it was being packed; pack again`);
        yield chunk;
      }
      if (read !== size) throw new Error(`${entry.source} shrank while it was being packed; pack again`);
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(BLOCK * 2);
}

function headerBlocks(entry: TarEntry, size: number): Buffer[] {
  const isLink = entry.kind === "symlink";
  const fields = {
    path: entry.path,
    mode: isLink ? 0o777 : entry.executable ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    size,
    mtime: FIXED_MTIME,
    type: isLink ? ("SymbolicLink" as const) : ("File" as const),
    linkpath: isLink ? entry.linkpath : "",
    uname: "",
    gname: "",
  };
  const header = new Header(fields);
  const needsPax = header.encode();
  const blocks: Buffer[] = [];
  if (needsPax) blocks.push(new Pax({ path: entry.path, linkpath: isLink ? entry.linkpath : undefined, mtime: FIXED_MTIME, size }).encode());
  blocks.push(header.block!);
  return blocks;
}
