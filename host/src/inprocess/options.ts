// Options of loadInProcessPlugin.
import type { Logger } from "../logger.js";

/** How to load an in-process (runtime "native") plugin. */
export interface InProcessLoadOptions {
  /** Where built libraries are cached (`<heddleHome>/cache`); default `~/.cache/heddle`. */
  cacheRoot?: string;
  /** Build output and warnings; default: warnings and errors to stderr. */
  log?: Logger;
  /** Aborts a running `cargo build`. */
  signal?: AbortSignal;
}
