/** Maps [offset, offset+length) of the file at `path` read-only; unmapped when the ArrayBuffer is collected. */
export function mapReadOnly(path: string, offset: number, length: number): ArrayBuffer;
/** Creates `path` (it must not exist) with `length` bytes and maps it writable and shared. */
export function createSegment(path: string, length: number): ArrayBuffer;
