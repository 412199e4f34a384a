// What the Data Locality Registry knows about one segment, and its wire form.
import type { SharedMemoryRef } from "@heddle/sdk/gen/heddle/plugin/v1/data";

/** Where a segment's bytes live. `user` files belong to the caller and are never moved or deleted. */
export type SegmentLocation = "shm" | "spill" | "user";

/** Who wrote a segment: the host itself, a plugin process, or the user (an Arrow file). */
export interface SegmentProducer {
  kind: "host" | "plugin" | "user";
  /** Plugin name (kind `plugin`). */
  plugin?: string;
  /** Producer process id (host or plugin). */
  pid?: number;
}

/** A live segment. */
export interface Segment {
  id: string;
  path: string;
  offset: number;
  length: number;
  numRows: number;
  producer: SegmentProducer;
  /** Holder names (`call:<id>`, `ref:<n>`) → the plugin pid holding it, or 0 for the host itself. */
  holders: Map<string, number>;
  location: SegmentLocation;
  /** Registration order; the oldest segments spill first. */
  seq: number;
  createdAt: number;
  /** How many times it was moved to the spill directory (0 or 1). */
  spilled: boolean;
}

/** The protocol handle of a segment (its current path). */
export function refOf(seg: Segment): SharedMemoryRef {
  return { segmentId: seg.id, path: seg.path, offset: seg.offset, length: seg.length, numRows: seg.numRows };
}

/** A plain JSON view of a segment for `heddle-host inspect memory`. */
export interface SegmentSnapshot {
  id: string;
  path: string;
  bytes: number;
  rows: number;
  producer: string;
  holders: string[];
  location: SegmentLocation;
  ageMs: number;
}

/** Snapshot of one segment. */
export function snapshotOf(seg: Segment, now: number): SegmentSnapshot {
  const p = seg.producer;
  const producer = p.kind === "plugin" ? `${p.plugin ?? "plugin"} (pid ${p.pid})` : p.kind === "host" ? `host (pid ${p.pid})` : "user file";
  return {
    id: seg.id, path: seg.path, bytes: seg.length, rows: seg.numRows, producer,
    holders: [...seg.holders.entries()].map(([h, pid]) => (pid ? `${h}@${pid}` : h)),
    location: seg.location, ageMs: now - seg.createdAt,
  };
}
