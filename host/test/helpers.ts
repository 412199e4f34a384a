// Helpers shared by the host tests: temp folders that are always removed,
// tiny plugin folders written on the fly, and large test tables.
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Table, Utf8, makeData, makeVector } from "apache-arrow";

/** The repository root (host/test → ../..). */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The fixture plugins of test/fixtures. */
export const FIXTURES = join(REPO, "test", "fixtures");
/** The CLI entry point. */
export const CLI = join(REPO, "host", "bin", "heddle-host.js");

/** Creates temp folders and removes them all in `cleanup()`. */
export class TempDirs {
  private readonly dirs: string[] = [];

  async make(prefix = "hh-test-"): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    for (const d of this.dirs.splice(0)) await rm(d, { recursive: true, force: true });
  }
}

/** Writes `files` (relative path → content) under `dir`; paths ending in .sh become executable. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<string> {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    if (rel.endsWith(".sh")) await chmod(path, 0o755);
  }
  return dir;
}

/** A heddle-plugin.json text. */
export function pluginJson(fields: Record<string, unknown>): string {
  return JSON.stringify({ name: "t", version: "1.0.0", ...fields });
}

/**
 * The security plugins' input for large zero-copy tests: `rows` rows of an
 * int64 `id` (0..rows-1) and a `password` of 16 × "a", built straight from
 * typed arrays. Returns the id array too (tests compare its address) and the
 * bytes of all its buffers.
 */
export function passwordTable(rows: number): { input: Table; ids: BigInt64Array; bytes: number } {
  const ids = new BigInt64Array(rows).map((_, i) => BigInt(i));
  const offsets = new Int32Array(rows + 1).map((_, i) => i * 16);
  const chars = new Uint8Array(rows * 16).fill(0x61);
  const passwords = makeVector(makeData({ type: new Utf8(), length: rows, nullCount: 0, valueOffsets: offsets, data: chars }));
  return { input: new Table({ id: makeVector(ids), password: passwords }), ids, bytes: ids.byteLength + offsets.byteLength + chars.byteLength };
}
