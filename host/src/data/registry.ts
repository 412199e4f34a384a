// The Data Locality Registry (protocol §8.4): every live segment, who produced
// it, who still holds it and where it lives. A segment is freed (file
// unlinked, ReleaseSegments to its producer) when its last holder lets go;
// past the memory budget the oldest segments are moved to the spill folder.
import { copyFileSync, mkdirSync, readdirSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { SharedMemoryRef } from "@heddle/sdk/gen/heddle/plugin/v1/data";
import { SegmentError } from "./errors.js";
import { refOf, snapshotOf, type Segment, type SegmentLocation, type SegmentProducer, type SegmentSnapshot } from "./segment.js";

/** Settings of a registry. */
export interface RegistryOptions {
  /** The host's HEDDLE_SHM_DIR (plugins' leftovers are looked for there). */
  shmDir?: string;
  /** Folder for spilled segments (created on first spill, removed by `close()`). */
  spillDir: string;
  /** Bytes of segments allowed in shared memory before the oldest spill. */
  budgetBytes: number;
  /** Called after every change (the host refreshes its inspect snapshot). */
  onChange?: () => void;
  /** Tells a running producer its segments were freed (ControllerService.ReleaseSegments). */
  releaseToProducer?: (pid: number, segmentIds: string[]) => void;
  /** Reports problems that must not fail a call (a file already gone, a failed spill). */
  warn?: (message: string) => void;
}

/** What `processGone` cleaned up. */
export interface GoneReport {
  droppedHolds: number;
  freed: string[];
  deletedFiles: string[];
}

/** A JSON view of the whole registry. */
export interface RegistrySnapshot {
  budgetBytes: number;
  shmBytes: number;
  spilledBytes: number;
  spillDir: string;
  segments: SegmentSnapshot[];
}

/** Tracks segments; see the file comment. Not thread-safe (Node is single-threaded). */
export class DataLocalityRegistry {
  private readonly segments = new Map<string, Segment>();
  private seq = 0;
  private spillDirMade = false;

  constructor(private readonly opts: RegistryOptions) {}

  /** The memory budget in bytes. */
  get budgetBytes(): number {
    return this.opts.budgetBytes;
  }

  /** Bytes of live segments in shared memory (spilled and user files not counted). */
  get shmBytes(): number {
    let n = 0;
    for (const s of this.segments.values()) if (s.location === "shm") n += s.length;
    return n;
  }

  /** Number of live segments. */
  get size(): number {
    return this.segments.size;
  }

  /**
   * Registers a segment with its first holder. A segment in shared memory
   * larger than the whole budget is refused with SEGMENT_TOO_LARGE (its file
   * is deleted: nobody else owns it); otherwise older segments spill to make room.
   */
  register(ref: SharedMemoryRef, producer: SegmentProducer, holder: string, holderPid = 0, location: SegmentLocation = "shm"): Segment {
    if (this.segments.has(ref.segmentId)) {
      throw new SegmentError("SEGMENT_INVALID", `segment id ${ref.segmentId} is already registered; producers must name segments <pid>-<counter>, unique on the machine`);
    }
    if (location === "shm" && ref.length > this.opts.budgetBytes) {
      this.unlinkQuietly(ref.path);
      if (producer.kind === "plugin" && producer.pid) this.opts.releaseToProducer?.(producer.pid, [ref.segmentId]);
      throw new SegmentError("SEGMENT_TOO_LARGE", `segment ${ref.segmentId} is ${ref.length} bytes, larger than the whole shared-memory budget of ${this.opts.budgetBytes} bytes`);
    }
    const seg: Segment = {
      id: ref.segmentId, path: ref.path, offset: ref.offset, length: ref.length, numRows: ref.numRows,
      producer, holders: new Map([[holder, holderPid]]), location, seq: ++this.seq, createdAt: Date.now(), spilled: false,
    };
    this.segments.set(seg.id, seg);
    if (location === "shm") this.enforceBudget(seg.id);
    this.changed();
    return seg;
  }

  /** The live segment of that id, or undefined. */
  get(id: string): Segment | undefined {
    return this.segments.get(id);
  }

  /** The live segment of that id; SEGMENT_NOT_FOUND when it was freed or never existed. */
  require(id: string, who = "the host"): Segment {
    const seg = this.segments.get(id);
    if (!seg) throw new SegmentError("SEGMENT_NOT_FOUND", `${who}: segment ${id} was already released or never existed`);
    return seg;
  }

  /** The current handle of a live segment (its path changes when it spills). SEGMENT_NOT_FOUND if freed. */
  refFor(id: string, who?: string): SharedMemoryRef {
    return refOf(this.require(id, who));
  }

  /** Adds a holder (`pid` = the plugin process holding it, 0 for the host). SEGMENT_NOT_FOUND if freed. */
  hold(id: string, holder: string, pid = 0): void {
    this.require(id).holders.set(holder, pid);
    this.changed();
  }

  /** Drops a holder; the segment is freed when none is left. Unknown ids or holders are ignored (release is idempotent). */
  release(id: string, holder: string): void {
    const seg = this.segments.get(id);
    if (!seg || !seg.holders.delete(holder)) return;
    if (seg.holders.size === 0) this.free(seg);
    this.changed();
  }

  /**
   * A plugin process ended: its holds go away (segments nobody else holds
   * are freed) and files under HEDDLE_SHM_DIR named with its pid that are not
   * registered (it died mid-write, or before answering) are deleted.
   */
  processGone(pid: number): GoneReport {
    const report: GoneReport = { droppedHolds: 0, freed: [], deletedFiles: [] };
    for (const seg of [...this.segments.values()]) {
      for (const [holder, holderPid] of [...seg.holders]) {
        if (holderPid !== pid) continue;
        seg.holders.delete(holder);
        report.droppedHolds++;
      }
      if (seg.holders.size === 0) {
        this.free(seg, pid);
        report.freed.push(seg.id);
      }
    }
    if (this.opts.shmDir) {
      const registered = new Set([...this.segments.values()].map((s) => s.path));
      let names: string[] = [];
      try {
        names = readdirSync(this.opts.shmDir);
      } catch {
        // the folder is gone (host closing): nothing left to clean
      }
      for (const name of names) {
        const path = join(this.opts.shmDir, name);
        if (!name.startsWith(`${pid}-`) || registered.has(path)) continue;
        this.unlinkQuietly(path);
        report.deletedFiles.push(path);
      }
    }
    if (report.droppedHolds || report.freed.length || report.deletedFiles.length) this.changed();
    return report;
  }

  /** JSON view for `heddle-host inspect memory`. */
  snapshot(): RegistrySnapshot {
    const now = Date.now();
    const segs = [...this.segments.values()];
    return {
      budgetBytes: this.opts.budgetBytes,
      shmBytes: this.shmBytes,
      spilledBytes: segs.filter((s) => s.location === "spill").reduce((n, s) => n + s.length, 0),
      spillDir: this.opts.spillDir,
      segments: segs.map((s) => snapshotOf(s, now)),
    };
  }

  /** Frees every segment (host closing) and removes the spill folder. Never throws. */
  close(): void {
    for (const seg of [...this.segments.values()]) this.free(seg);
    if (this.spillDirMade) rmSync(this.opts.spillDir, { recursive: true, force: true });
    this.changed();
  }

  private free(seg: Segment, deadPid?: number): void {
    this.segments.delete(seg.id);
    if (seg.location !== "user") this.unlinkQuietly(seg.path);
    // A producer that died needs no message; one still running may drop its mapping.
    if (seg.producer.kind === "plugin" && seg.producer.pid && seg.producer.pid !== deadPid && !seg.spilled) {
      this.opts.releaseToProducer?.(seg.producer.pid, [seg.id]);
    }
  }

  /** Spills the oldest shared-memory segments (never `keep`) until the budget holds. */
  private enforceBudget(keep: string): void {
    let used = this.shmBytes;
    if (used <= this.opts.budgetBytes) return;
    const oldest = [...this.segments.values()].filter((s) => s.location === "shm" && s.id !== keep).sort((a, b) => a.seq - b.seq);
    for (const seg of oldest) {
      if (used <= this.opts.budgetBytes) break;
      if (this.spill(seg)) used -= seg.length;
    }
  }

  /** Moves one segment to the spill folder (a plain, still mappable file). False if the copy failed. */
  private spill(seg: Segment): boolean {
    const target = join(this.opts.spillDir, `${seg.id}.arrow`);
    try {
      if (!this.spillDirMade) {
        mkdirSync(this.opts.spillDir, { recursive: true, mode: 0o700 });
        this.spillDirMade = true;
      }
      copyFileSync(seg.path, target);
    } catch (err) {
      this.opts.warn?.(`could not spill segment ${seg.id} to ${target}: ${(err as Error).message}; it stays in shared memory`);
      return false;
    }
    // Consumers mapping the old file keep their mapping; new handles carry the new path.
    this.unlinkQuietly(seg.path);
    seg.path = target;
    seg.location = "spill";
    seg.spilled = true;
    if (seg.producer.kind === "plugin" && seg.producer.pid) this.opts.releaseToProducer?.(seg.producer.pid, [seg.id]);
    return true;
  }

  private unlinkQuietly(path: string): void {
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.opts.warn?.(`could not delete segment file ${path}: ${(err as Error).message}`);
    }
  }

  private changed(): void {
    this.opts.onChange?.();
  }
}
