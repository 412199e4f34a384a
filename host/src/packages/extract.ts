// Unpacks a verified archive into an empty folder, refusing anything unsafe:
// absolute paths, `..`, links that leave the folder, devices and FIFOs, too
// many entries, or more unpacked bytes than allowed (zip bombs).
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { Unpack, type ReadEntry } from "tar";
import { unsafeEntryReason } from "./archive-rules.js";
import { PackageError } from "./errors.js";
import type { ArchiveLimits } from "./options.js";

/**
 * Extracts `archive` (.tgz) into `dest`, which should be a fresh temporary
 * folder: on failure some entries may already be written there, so the
 * caller deletes it. Throws PackageError UNSAFE_ARCHIVE naming the first bad
 * entry or the limit exceeded.
 */
export async function safeExtract(archive: string, dest: string, limits: Omit<ArchiveLimits, "maxArchiveBytes">, label: string): Promise<{ entries: number; bytes: number }> {
  let problem: PackageError | undefined;
  let entries = 0;
  let declared = 0;
  let inflated = 0;
  const unpack = new Unpack({
    cwd: dest,
    strict: true,
    preserveOwner: false,
    filter: (_path: string, entry: unknown) => {
      const e = entry as ReadEntry;
      entries += 1;
      declared += e.size ?? 0;
      const reason = unsafeEntryReason(e.path, e.type, e.linkpath);
      if (reason) refuse(`unsafe entry ${reason}`);
      else if (entries > limits.maxEntries) refuse(`more than ${limits.maxEntries} entries`);
      else if (declared > limits.maxUnpackedBytes) refuse(`more than ${limits.maxUnpackedBytes} unpacked bytes`);
      return problem === undefined;
    },
  });
  const refuse = (why: string): void => {
    if (problem) return;
    problem = new PackageError("UNSAFE_ARCHIVE", `${label}: refusing to unpack: ${why}`, { hint: "nothing was installed; the package is malformed or malicious, tell its publisher" });
    unpack.abort(problem);
  };
  const finished = new Promise<void>((resolve, reject) => {
    unpack.on("close", () => resolve());
    unpack.on("error", (err: Error) => reject(problem ?? err));
    unpack.on("abort", (err: Error) => reject(problem ?? err));
  });
  finished.catch(() => undefined);
  try {
    const gunzip = createReadStream(archive).pipe(createGunzip());
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      inflated += chunk.length;
      if (inflated > limits.maxUnpackedBytes + 1024 * 1024) refuse(`more than ${limits.maxUnpackedBytes} unpacked bytes`);
      if (problem) {
        gunzip.destroy();
        break;
      }
      if (!unpack.write(chunk)) await Promise.race([once(unpack, "drain"), finished]);
    }
    if (!problem) unpack.end();
    await finished;
  } catch (err) {
    if (problem) throw problem;
    if (err instanceof PackageError) throw err;
    throw new PackageError("UNSAFE_ARCHIVE", `${label}: the archive cannot be unpacked: ${(err as Error).message}`, { hint: "nothing was installed; the package is malformed" });
  }
  if (problem) throw problem;
  return { entries, bytes: declared };
}
