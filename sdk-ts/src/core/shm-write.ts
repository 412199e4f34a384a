// Producing shared-memory segments (docs/protocol.md §8.2). The IPC file is
// encoded as pieces (ipc-pieces.ts: metadata plus views of the table's own
// buffers), which are then written with writev
// straight from those buffers into `<HEDDLE_SHM_DIR>/<pid>-<counter>.arrow`:
// the payload is copied once, into the segment, and never joined in memory
// first. Writing through the file descriptor rather than a mapping turns a full
// tmpfs into an ENOSPC error instead of a SIGBUS that would kill the plugin.
import { accessSync, closeSync, constants as fsConstants, openSync, statSync, unlinkSync, writevSync } from "node:fs";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { ShmUnavailableError } from "./errors.js";
import { type IpcPieces, encodeIpcPieces } from "./ipc-pieces.js";

/** An Arrow IPC file as the list of its consecutive pieces (views, not copies). */
export type IpcFilePieces = IpcPieces;

/** A segment written by this process, as the SharedMemoryRef fields. */
export interface WrittenSegment {
  segmentId: string;
  path: string;
  offset: number;
  length: number;
  numRows: number;
}

/** Most iovecs one writev takes (Linux IOV_MAX). */
const MAX_IOVECS = 1024;

/** Per process, not per writer: segment ids must be unique on the machine. */
let segmentCounter = 0;

/** Names to try when `<pid>-<counter>.arrow` exists already (left by an earlier process with our pid). */
const MAX_NAME_ATTEMPTS = 100;

/** Encodes a table as the pieces of an Arrow IPC file; no payload byte is copied. */
export function encodeIpcFilePieces(table: arrow.Table): IpcFilePieces {
  return encodeIpcPieces(table, "file");
}

/**
 * Writes segments into one folder (HEDDLE_SHM_DIR), naming them
 * `<pid>-<counter>.arrow` so the host can find what this process left behind.
 */
export class SegmentWriter {
  /** `dir` must exist and be writable (see segmentDirFromEnv). */
  constructor(readonly dir: string) {}

  /**
   * Writes the pieces as a new segment file, complete and closed on return.
   * Throws ShmUnavailableError when the file cannot be created or written
   * (folder gone, full or not writable); a partial file is removed first.
   */
  write(file: IpcFilePieces, numRows: number): WrittenSegment {
    const { segmentId, path, fd } = this.createFile();
    try {
      writeAllPieces(fd, file.pieces);
    } catch (err) {
      closeSync(fd);
      unlinkSync(path);
      const full = (err as NodeJS.ErrnoException).code === "ENOSPC";
      const hint = full ? "the shared-memory folder is full: free segments or raise its size" : "check HEDDLE_SHM_DIR";
      throw new ShmUnavailableError(`cannot write segment ${path} (${(err as Error).message}): ${hint}`, { cause: err });
    }
    closeSync(fd);
    return { segmentId, path, offset: 0, length: file.byteLength, numRows };
  }

  /** Creates the next free `<pid>-<counter>.arrow` (O_EXCL, mode 0600). Throws ShmUnavailableError. */
  private createFile(): { segmentId: string; path: string; fd: number } {
    let lastError: unknown;
    for (let attempt = 0; attempt < MAX_NAME_ATTEMPTS; attempt++) {
      const segmentId = `${process.pid}-${++segmentCounter}`;
      const path = join(this.dir, `${segmentId}.arrow`);
      try {
        return { segmentId, path, fd: openSync(path, "wx", 0o600) };
      } catch (err) {
        lastError = err;
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") break;
      }
    }
    const message = (lastError as Error).message;
    throw new ShmUnavailableError(`cannot create a segment in ${this.dir} (${message}): check that HEDDLE_SHM_DIR exists and is writable`, { cause: lastError });
  }
}

/**
 * The segment folder from HEDDLE_SHM_DIR when it is set, a folder and
 * writable by this process; undefined otherwise (then `shm` is not offered).
 */
export function segmentDirFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const dir = env.HEDDLE_SHM_DIR;
  if (!dir) return undefined;
  try {
    if (!statSync(dir).isDirectory()) return undefined;
    accessSync(dir, fsConstants.W_OK | fsConstants.X_OK);
    return dir;
  } catch {
    return undefined;
  }
}

/** writev the pieces in order, resuming after partial writes. */
function writeAllPieces(fd: number, allPieces: readonly Uint8Array[]): void {
  const pieces = allPieces.slice(); // trimmed in place after a partial write
  let index = 0;
  while (index < pieces.length) {
    const batch = pieces.slice(index, index + MAX_IOVECS);
    let expected = 0;
    for (const piece of batch) expected += piece.byteLength;
    const written = writevSync(fd, batch);
    if (written === 0) throw new Error("writev wrote nothing");
    if (written === expected) {
      index += batch.length;
      continue;
    }
    // Partial write: skip the pieces fully written and trim the one cut in the middle.
    let remaining = written;
    while (remaining >= pieces[index]!.byteLength) remaining -= pieces[index++]!.byteLength;
    if (remaining > 0) pieces[index] = pieces[index]!.subarray(remaining);
  }
}
