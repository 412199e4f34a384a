/** Maps [offset, offset+length) of the file at `path` read-only; unmapped when the ArrayBuffer is collected. */
export function mapReadOnly(path: string, offset: number, length: number): ArrayBuffer;
/**
 * Detaches a mapping's ArrayBuffer now: every view of it becomes empty and the mapping is unmapped
 * without waiting for the garbage collector. True when detached (or already); throws USAGE for a non-ArrayBuffer.
 */
export function release(arrayBuffer: ArrayBuffer): boolean;
/** Creates `path` (it must not exist) with `length` bytes and maps it writable and shared. */
export function createSegment(path: string, length: number): ArrayBuffer;

/** A buffer of an Arrow column as it crosses the C Data interface. */
export interface CBuffer { buffer: ArrayBuffer; byteOffset: number; byteLength: number }
/** One column of a batch: buffers in C Data order (validity, then offsets/values/data). */
export interface CColumn { length: number; nullCount: number; offset: number; buffers: (ArrayBufferView | CBuffer | null)[] }
/** A table described for the C Stream interface: field formats are Arrow C format strings. */
export interface CStreamDesc {
  fields: { name: string; format: string; nullable: boolean }[];
  batches: { length: number; columns: CColumn[] }[];
}
/** An opaque loaded library. */
export type NativeLibrary = { readonly __brand: "NativeLibrary" };
/** The in-process addon (see docs/in-process.md). Every function throws an Error with a Heddle `code`. */
export interface InProcessAddon {
  /** dlopen a plugin library; PLUGIN_START_FAILED, HANDSHAKE_FAILED (missing symbol), PROTOCOL_MISMATCH (ABI version). */
  open(path: string): NativeLibrary;
  describe(lib: NativeLibrary): { ok: boolean; json: string };
  openResource(lib: NativeLibrary, kind: string, configJson: string): { instanceId?: string; error?: string };
  closeResource(lib: NativeLibrary, instanceId: string): string | null;
  /**
   * Runs a step on a thread of its own; the input's buffers are lent to the
   * plugin until it releases them. `cancelFlag` (an Int32Array(1), kept alive
   * until the native call returns) is what `cancel` sets and a library with
   * heddle_invoke_cancellable watches; `deadlineMs` (0 = none) is passed to
   * it. Resolves with the plugin's error JSON, its output, or `abandoned`
   * when the flag was set before the call returned (the output, if any, is
   * dropped). Throws USAGE for bad arguments, UNSUPPORTED/INVALID_OUTPUT
   * (rejects) for an output the bridge cannot read.
   */
  invoke(lib: NativeLibrary, step: string, configJson: string, resourcesJson: string, input: CStreamDesc | null,
    cancelFlag?: Int32Array | null, deadlineMs?: number):
    Promise<{ error: string } | { output: (CStreamDesc & { batches: { length: number; columns: (CColumn & { buffers: (CBuffer | null)[] })[] }[] }) | null } | { abandoned: true }>;
  /** Stores 1 (cancelled) or 2 (deadline passed) in a call's flag, atomically. USAGE for anything else. */
  cancel(cancelFlag: Int32Array, code: 1 | 2): void;
  /** Calls started whose native call has not returned yet. */
  runningCalls(): number;
  /** Address of an ArrayBuffer's or view's first byte (zero-copy checks). */
  address(bufferOrView: ArrayBuffer | ArrayBufferView): bigint;
  /** Exported input streams the plugin has not released yet. */
  liveExports(): number;
}
/** Loads the in-process addon; throws SHM_UNAVAILABLE when it is not built. */
export function inprocess(): InProcessAddon;
