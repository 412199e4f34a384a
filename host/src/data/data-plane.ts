// One host's data plane: its HEDDLE_SHM_DIR, the registry, the inspect
// snapshot, host-written segments, and the producers it can tell about
// freed segments. PluginHost owns one; plugins reach it through PluginInit.
import { join } from "node:path";
import { tableToIPC, type Table } from "apache-arrow";
import type { SharedMemoryRef } from "@heddle/sdk/gen/heddle/plugin/v1/data";
import type { Logger } from "../logger.js";
import type { ResolvedHostOptions } from "../options.js";
import { SegmentError, fromNativeError } from "./errors.js";
import { nativeShm } from "./map-table.js";
import { DataLocalityRegistry } from "./registry.js";
import { checkProducedPath, checkSegmentFile } from "./segment-check.js";
import type { SegmentProducer } from "./segment.js";
import { createShmDir, removeShmDir } from "./shm-dir.js";
import { StateFileWriter } from "./state-file.js";
import { TableRef } from "./table-ref.js";

/** See the file comment. */
export class DataPlane {
  /** The folder passed to plugins as HEDDLE_SHM_DIR; undefined when shared memory is unavailable (shm not offered). */
  readonly shmDir?: string;
  readonly registry: DataLocalityRegistry;
  /** Tables of at least this many IPC bytes go by handle. */
  readonly thresholdBytes: number;
  private readonly producers = new Map<number, (ids: string[]) => void>();
  private readonly state: StateFileWriter;
  private counter = 0;
  private refCounter = 0;

  constructor(options: ResolvedHostOptions, private readonly log: Logger) {
    const made = options.shm ? createShmDir() : { reason: "disabled by the shm option" };
    this.shmDir = made.dir;
    if (!made.dir) log.debug(`shared memory is off (${made.reason}); tables travel inline or streamed`);
    this.thresholdBytes = options.shmThreshold;
    this.registry = new DataLocalityRegistry({
      shmDir: this.shmDir,
      spillDir: join(options.spillDir, `host-${process.pid}-${Date.now().toString(36)}`),
      budgetBytes: options.shmBudget,
      onChange: () => this.state.touch(),
      releaseToProducer: (pid, ids) => this.producers.get(pid)?.(ids),
      warn: (m) => log.warn(m),
    });
    this.state = new StateFileWriter(options.heddleHome, () => ({
      pid: process.pid, shmDir: this.shmDir ?? null, thresholdBytes: this.thresholdBytes, updatedAt: new Date().toISOString(),
      ...this.registry.snapshot(),
    }));
    if (this.shmDir) this.state.touch();
  }

  /** True when the host can offer the `shm` capability. */
  get enabled(): boolean {
    return this.shmDir !== undefined;
  }

  /** A new holder name for a caller's TableRef. */
  newRefHolder(): string {
    return `ref:${++this.refCounter}`;
  }

  /** Wraps a registered segment held by `holder` as a TableRef. */
  tableRef(id: string, holder: string): TableRef {
    return new TableRef(this.registry, id, holder);
  }

  /**
   * Writes Arrow IPC file bytes (or a Table, encoded once as an IPC file) into
   * a new host segment held by `holder`. SHM_UNAVAILABLE without shared memory,
   * SEGMENT_TOO_LARGE past the budget.
   */
  writeSegment(data: Table | Uint8Array, holder: string, holderPid = 0, rows?: number): SharedMemoryRef {
    if (!this.shmDir) throw new SegmentError("SHM_UNAVAILABLE", "this host has no shared-memory folder, so it cannot create a segment");
    const bytes = data instanceof Uint8Array ? data : tableToIPC(data, "file");
    const numRows = rows ?? (data instanceof Uint8Array ? 0 : data.numRows);
    if (bytes.length > this.registry.budgetBytes) {
      throw new SegmentError("SEGMENT_TOO_LARGE", `a table of ${bytes.length} bytes does not fit the shared-memory budget of ${this.registry.budgetBytes} bytes`);
    }
    const id = `${process.pid}-${++this.counter}`;
    const path = join(this.shmDir, `${id}.arrow`);
    try {
      new Uint8Array(nativeShm().createSegment(path, bytes.length)).set(bytes);
    } catch (err) {
      throw fromNativeError(err, `cannot create segment ${path}`);
    }
    const ref = { segmentId: id, path, offset: 0, length: bytes.length, numRows };
    this.registry.register(ref, { kind: "host", pid: process.pid }, holder, holderPid);
    return this.registry.refFor(id);
  }

  /**
   * Accepts a segment a plugin answered with: checks where it is and that it
   * is an Arrow IPC file, then registers it held by `holder`. The host owns
   * it from here on. SEGMENT_INVALID / SEGMENT_NOT_FOUND / SEGMENT_TOO_LARGE.
   */
  adoptProduced(ref: SharedMemoryRef, producer: { plugin: string; pid: number }, holder: string, who: string, lent?: string): SharedMemoryRef {
    if (!this.shmDir) throw new SegmentError("SEGMENT_INVALID", `${who}: the plugin answered with a segment, but this host offered no shared memory`);
    if (lent !== undefined && ref.segmentId === lent) return this.passThrough(ref, holder, who);
    checkProducedPath(ref, this.shmDir, producer.pid, who);
    try {
      checkSegmentFile(ref, who);
    } catch (err) {
      // A broken segment is the host's now: delete it so it cannot leak.
      this.registry.register(ref, { kind: "plugin", ...producer }, "check", 0);
      this.registry.release(ref.segmentId, "check");
      throw err;
    }
    const p: SegmentProducer = { kind: "plugin", plugin: producer.plugin, pid: producer.pid };
    this.registry.register(ref, p, holder, 0);
    return this.registry.refFor(ref.segmentId);
  }

  /**
   * The plugin answered with the segment it was lent as input (its output is
   * its input unchanged, §8.2): the same segment goes on, with one more
   * holder. SEGMENT_INVALID if the answer's offset or length differ from the
   * registered ones; SEGMENT_NOT_FOUND if it was freed meanwhile.
   */
  private passThrough(ref: SharedMemoryRef, holder: string, who: string): SharedMemoryRef {
    const known = this.registry.require(ref.segmentId, who);
    if (known.offset !== ref.offset || known.length !== ref.length) {
      throw new SegmentError("SEGMENT_INVALID", `${who}: answered with segment ${ref.segmentId} but changed its offset or length (${ref.offset}+${ref.length}, lent as ${known.offset}+${known.length})`);
    }
    this.registry.hold(ref.segmentId, holder, 0);
    return this.registry.refFor(ref.segmentId);
  }

  /** A TableRef to a user's Arrow IPC file, mapped in place and never deleted by the host. */
  refFromArrowFile(path: string, numRows: number, length: number): TableRef {
    const id = `${process.pid}-u${++this.counter}`;
    const ref = { segmentId: id, path, offset: 0, length, numRows };
    checkSegmentFile(ref, `Arrow file ${path}`);
    const holder = this.newRefHolder();
    this.registry.register(ref, { kind: "user" }, holder, 0, "user");
    return this.tableRef(id, holder);
  }

  /** Lets the registry send ReleaseSegments to a running producer. */
  attachProducer(pid: number, release: (ids: string[]) => void): void {
    this.producers.set(pid, release);
  }

  /** A plugin process ended: forget it as producer, drop its holds, delete its leftovers. */
  processGone(pid: number): void {
    this.producers.delete(pid);
    const report = this.registry.processGone(pid);
    if (report.deletedFiles.length || report.freed.length) {
      this.log.debug(`cleaned up after pid ${pid}: freed ${report.freed.length} segment(s), deleted ${report.deletedFiles.length} leftover file(s)`);
    }
  }

  /** Frees everything, removes HEDDLE_SHM_DIR and the inspect snapshot. Never throws. */
  close(): void {
    this.registry.close();
    if (this.shmDir) removeShmDir(this.shmDir);
    this.state.close();
  }
}
