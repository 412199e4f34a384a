// The errors of the data plane (protocol §8): every one carries a stable code
// (SEGMENT_INVALID, SEGMENT_NOT_FOUND, SEGMENT_TOO_LARGE, SHM_UNAVAILABLE).
import { HostError, type HostErrorDetails } from "../errors.js";

/** The codes the data plane raises. */
export type SegmentErrorCode = "SEGMENT_INVALID" | "SEGMENT_NOT_FOUND" | "SEGMENT_TOO_LARGE" | "SHM_UNAVAILABLE";

/** A segment could not be created, mapped, found or accepted. */
export class SegmentError extends HostError {
  constructor(code: SegmentErrorCode, message: string, details: HostErrorDetails = {}) {
    super(code, message, { hint: segmentHint(code), ...details });
  }
}

/** Wraps an error thrown by @heddle/native (it carries `.code`) into a SegmentError. */
export function fromNativeError(err: unknown, what: string, details: HostErrorDetails = {}): SegmentError {
  const e = err as { code?: string; message?: string };
  const code: SegmentErrorCode = e.code === "SEGMENT_NOT_FOUND" || e.code === "SEGMENT_INVALID" ? e.code : "SHM_UNAVAILABLE";
  return new SegmentError(code, `${what}: ${e.message ?? String(err)}`, { cause: err, ...details });
}

function segmentHint(code: SegmentErrorCode): string {
  switch (code) {
    case "SEGMENT_INVALID": return "the segment must hold a complete Arrow IPC file (ARROW1 magic) at a 64-byte aligned offset; check the producer";
    case "SEGMENT_NOT_FOUND": return "the segment was released or never existed: keep a TableRef until every call that needs it has finished";
    case "SEGMENT_TOO_LARGE": return "raise the memory budget (--shm-budget / shmBudget) or split the table into smaller ones";
    case "SHM_UNAVAILABLE": return "shared memory needs a writable tmpfs such as /dev/shm; without it tables travel inline or streamed";
  }
}
