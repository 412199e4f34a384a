// A private, short socket folder per plugin process (protocol §2.1): mkdtemp
// under /tmp keeps the path far below the ~104-byte Unix socket limit even
// when TMPDIR is long.
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Longest socket path the host hands out (sun_path is 108 bytes on Linux, 104 on macOS). */
export const MAX_SOCKET_PATH_BYTES = 100;

/** Creates `/tmp/hh-XXXXXX` (mode 0700) and returns it with the socket path `…/p.sock` inside. */
export async function createSocketDir(): Promise<{ dir: string; socketPath: string }> {
  const dir = await mkdtemp(join(shortTmpRoot(), "hh-"));
  const socketPath = join(dir, "p.sock");
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`socket path ${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; set TMPDIR to a short folder`);
  }
  return { dir, socketPath };
}

/** Removes a socket folder; never throws. */
export async function removeSocketDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

function shortTmpRoot(): string {
  try {
    accessSync("/tmp", constants.W_OK);
    return "/tmp";
  } catch {
    return tmpdir();
  }
}
