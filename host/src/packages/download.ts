// Downloads one artifact to a file, hashing as it streams, and checks size,
// sha512 and sha256 against the (already verified) index entry.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { PackageError } from "./errors.js";
import type { Progress } from "./progress.js";
import type { RegistryClient } from "./registry-client.js";
import type { RemoteArtifact } from "./registry-types.js";

/**
 * Streams `artifact` from `client` into `file`. On any failure the file is
 * removed. Throws PackageError DOWNLOAD_FAILED (connection lost, short body),
 * PACKAGE_TOO_LARGE (over `maxBytes`) or INTEGRITY_MISMATCH (bytes differ
 * from the signed hashes).
 */
export async function downloadArtifact(client: RegistryClient, artifact: RemoteArtifact, file: string, progress: Progress, maxBytes: number, label: string): Promise<void> {
  if (artifact.size > maxBytes) {
    throw new PackageError("PACKAGE_TOO_LARGE", `${label} is ${artifact.size} bytes, over the limit of ${maxBytes}`, { hint: "raise HEDDLE_MAX_ARCHIVE_BYTES if you trust this package" });
  }
  const sha256 = createHash("sha256");
  const sha512 = createHash("sha512");
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (received > artifact.size) {
        done(new PackageError("INTEGRITY_MISMATCH", `${label}: the registry sent more than the ${artifact.size} bytes the index lists`));
        return;
      }
      sha256.update(chunk);
      sha512.update(chunk);
      progress.advance(chunk.length);
      done(null, chunk);
    },
  });
  try {
    const stream = await client.download(artifact.url);
    progress.start(artifact.size);
    await pipeline(stream.body, meter, createWriteStream(file, { mode: 0o600 }));
  } catch (err) {
    progress.fail();
    await rm(file, { force: true });
    if (err instanceof PackageError) throw err;
    throw new PackageError("DOWNLOAD_FAILED", `downloading ${label} from ${client.entry.url} failed after ${received} of ${artifact.size} bytes: ${(err as Error).message}`, {
      hint: "nothing was installed; check the registry and run the install again",
      cause: err,
    });
  }
  const integrity = `sha512-${sha512.digest("base64")}`;
  const hex = sha256.digest("hex");
  if (received !== artifact.size || integrity !== artifact.integrity || hex !== artifact.sha256) {
    progress.fail();
    await rm(file, { force: true });
    const what = received !== artifact.size ? `${received} bytes instead of ${artifact.size}` : integrity !== artifact.integrity ? `${integrity} instead of ${artifact.integrity}` : `sha256 ${hex} instead of ${artifact.sha256}`;
    throw new PackageError("INTEGRITY_MISMATCH", `${label}: the downloaded archive does not match its signed hashes (${what})`, {
      hint: "the archive was altered or corrupted; nothing was installed. Tell the registry operator",
    });
  }
  progress.done("sha512 verified");
}
