// Call ids: unique per host process (protocol §5.1), used by Cancel.
import { randomBytes } from "node:crypto";

const prefix = `${process.pid.toString(36)}-${randomBytes(3).toString("hex")}`;
let counter = 0;

/** A new call id, e.g. `1a2b-9f3c01-17`. */
export function nextCallId(): string {
  counter += 1;
  return `${prefix}-${counter}`;
}
