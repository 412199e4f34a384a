import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";
import type { ReadEntry } from "tar";
import { RegistryError } from "../errors.js";
import { unsafeEntryReason } from "./archive-rules.js";
import { parseTar } from "./tar-parse.js";

/** Limits for {@link inspectArchive}. */
export interface InspectLimits {
  maxUnpackedBytes: number;
  maxEntries: number;
}

const MANIFEST_FILE = "heddle-plugin.json";
const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * Reads an uploaded .tgz once, checking every entry against the archive rules
 * and the unpacked-size limit, and returns the parsed `heddle-plugin.json`
 * at its root. The registry does this at publish time so that it never serves
 * an archive a client would refuse, and so that the manifest it indexes is
 * the one inside the archive.
 * Throws RegistryError UNSAFE_ARCHIVE (bad entry, too big, not a gzip tar) or
 * MANIFEST_INVALID (no manifest, or not a JSON object).
 */
export async function inspectArchive(source: Readable, limits: InspectLimits): Promise<Record<string, unknown>> {
  let manifestText: string | null = null;
  let declaredBytes = 0;
  let entries = 0;
  let unpackedBytes = 0;
  const gunzip = createGunzip();
  source.on("error", (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      unpackedBytes += chunk.length;
      // tar adds headers and padding, so allow a little over the declared sizes
      if (unpackedBytes > limits.maxUnpackedBytes + 1024 * 1024) throw tooBig(limits.maxUnpackedBytes);
      yield chunk;
    }
  }
  const onEntry = (entry: ReadEntry): void => {
    entries += 1;
    declaredBytes += entry.size;
    const reason = unsafeEntryReason(entry.path, entry.type, entry.linkpath);
    if (reason) throw new RegistryError("UNSAFE_ARCHIVE", `unsafe archive entry ${reason}`, "pack the plugin folder with `heddle-host pack`, which never writes such entries");
    if (entries > limits.maxEntries) throw new RegistryError("UNSAFE_ARCHIVE", `the archive has more than ${limits.maxEntries} entries`);
    if (declaredBytes > limits.maxUnpackedBytes) throw tooBig(limits.maxUnpackedBytes);
    const path = entry.path.startsWith("./") ? entry.path.slice(2) : entry.path;
    if (path === MANIFEST_FILE && entry.type === "File" && entry.size <= MAX_MANIFEST_BYTES) {
      const chunks: Buffer[] = [];
      entry.on("data", (c: Buffer) => chunks.push(c));
      entry.on("end", () => {
        manifestText = Buffer.concat(chunks).toString("utf8");
      });
    } else {
      entry.resume();
    }
  };
  try {
    await parseTar(counted(), onEntry);
  } catch (err) {
    source.unpipe(gunzip);
    source.destroy();
    gunzip.destroy();
    if (err instanceof RegistryError) throw err;
    throw new RegistryError("UNSAFE_ARCHIVE", `the upload is not a readable gzipped tar: ${(err as Error).message}`, "upload the .tgz made by `heddle-host pack`");
  }
  if (manifestText === null) {
    throw new RegistryError("MANIFEST_INVALID", `the archive has no ${MANIFEST_FILE} at its root`, "a package is a plugin folder with its heddle-plugin.json; pack it with `heddle-host pack`");
  }
  try {
    const parsed: unknown = JSON.parse(manifestText);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new RegistryError("MANIFEST_INVALID", `${MANIFEST_FILE} inside the archive is not a JSON object`);
}

function tooBig(limit: number): RegistryError {
  return new RegistryError("UNSAFE_ARCHIVE", `the archive unpacks to more than ${limit} bytes`, "make the package smaller, or ask the registry operator to raise --max-unpacked-bytes");
}
