// Helpers shared by the host tests: temp folders that are always removed,
// and tiny plugin folders written on the fly.
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

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
