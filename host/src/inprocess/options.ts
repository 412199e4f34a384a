// Options of loadInProcessPlugin / InProcessPlugin.load.
import type { Table } from "apache-arrow";
import type { TableRef } from "../data/table-ref.js";
import type { Logger } from "../logger.js";

/** How to load an in-process (runtime "native") plugin. */
export interface InProcessLoadOptions {
  /** Where built libraries are cached (`<heddleHome>/cache`); default `~/.cache/heddle`. */
  cacheRoot?: string;
  /** Build output and warnings; default: warnings and errors to stderr. */
  log?: Logger;
  /** Aborts a running `cargo build`. */
  signal?: AbortSignal;
  /**
   * Writes an output into the host's shared memory for `output: "ref"`
   * (PluginHost passes its refFromTable). Without it, "ref" fails with
   * SHM_UNAVAILABLE.
   */
  toRef?: (table: Table) => TableRef;
}
