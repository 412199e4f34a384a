// The inputs and outputs of an in-process call in the shapes Plugin.invoke
// takes and gives: a Table, Arrow IPC bytes or a TableRef in; a Table, IPC
// stream bytes or a TableRef out. In-process there is no transport, so every
// input becomes a Table whose buffers are lent to the library as they are.
import { tableToIPC, type Table } from "apache-arrow";
import { decodeTableStrict } from "../arrow/ipc.js";
import type { InvokeInput, OutputMode } from "../data/call-data.js";
import { SegmentError } from "../data/errors.js";
import { TableRef } from "../data/table-ref.js";
import { PluginCallError } from "../errors.js";

/** Who a call is for, to name in errors. */
interface CallName {
  plugin: string;
  component: string;
}

/**
 * The input as a Table: a TableRef's segment is mapped (no copy), IPC bytes
 * are read in place. Null without input. Fails with SEGMENT_NOT_FOUND /
 * SEGMENT_INVALID for a bad TableRef, INVALID_INPUT for bytes that are not
 * Arrow IPC.
 */
export function inputTable(input: InvokeInput | undefined, who: CallName): Table | null {
  if (input === undefined) return null;
  if (input instanceof TableRef) return input.toTable();
  if (!(input instanceof Uint8Array)) return input;
  try {
    return decodeTableStrict(input);
  } catch (err) {
    throw new PluginCallError("INVALID_INPUT", `the input bytes for ${who.component} are not an Arrow IPC stream or file: ${(err as Error).message}`, {
      plugin: who.plugin, component: who.component, cause: err, hint: "pass a Table, a TableRef, or bytes from tableToIPC()",
    });
  }
}

/**
 * The output as `mode` asks: the Table, its IPC stream bytes (`ipc`, an
 * encoding copy), or a TableRef to a new host segment (`ref`, through
 * `toRef`). Fails with SHM_UNAVAILABLE for `ref` without a host's data plane.
 */
export function shapeOutput(table: Table | null, mode: OutputMode, who: CallName, toRef?: (table: Table) => TableRef): Table | TableRef | Uint8Array | null {
  if (table === null || mode === "table") return table;
  if (mode === "ipc") return tableToIPC(table, "stream");
  if (!toRef) {
    throw new SegmentError("SHM_UNAVAILABLE", `plugin ${who.plugin} (${who.component}): output "ref" needs the host's shared memory, and this plugin was loaded without a host`, {
      plugin: who.plugin, component: who.component, hint: "load the plugin with host.load(), or ask for output \"table\"",
    });
  }
  return toRef(table);
}
