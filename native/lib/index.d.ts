/** Maps [offset, offset+length) of the file at `path` read-only; unmapped when the ArrayBuffer is collected. */
export function mapReadOnly(path: string, offset: number, length: number): ArrayBuffer;
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
  /** Runs a step; the input's buffers are lent to the plugin until it releases them. */
  invoke(lib: NativeLibrary, step: string, configJson: string, resourcesJson: string, input: CStreamDesc | null):
    { error: string } | { output: (CStreamDesc & { batches: { length: number; columns: (CColumn & { buffers: (CBuffer | null)[] })[] }[] }) | null };
  /** Address of an ArrayBuffer's or view's first byte (zero-copy checks). */
  address(bufferOrView: ArrayBuffer | ArrayBufferView): bigint;
  /** Exported input streams the plugin has not released yet. */
  liveExports(): number;
}
/** Loads the in-process addon; throws SHM_UNAVAILABLE when it is not built. */
export function inprocess(): InProcessAddon;
