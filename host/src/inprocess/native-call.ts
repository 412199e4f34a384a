// One call into a native library, off the JS thread (the addon runs it on a
// thread of its own), with the deadline and cancel of a process call: the
// promise settles at the deadline or abort without waiting for the library,
// and the call's flag tells a library with heddle_invoke_cancellable to stop.
// One without it runs on to its end; its answer is then dropped.
import type { Table } from "apache-arrow";
import type { CStreamDesc, InProcessAddon, NativeLibrary } from "@heddle/native";
import { HostError, PluginCallError, hintFor } from "../errors.js";
import { importTable } from "./arrow-import.js";
import { fromAddonError, fromPluginJson } from "./errors.js";

/** The flag values of heddle_plugin.h. */
const CANCELLED = 1 as const;
const DEADLINE = 2 as const;

/** One step call as the library gets it. */
export interface NativeCallRequest {
  plugin: string;
  /** namespace.step, for errors. */
  component: string;
  step: string;
  configJson: string;
  resourcesJson: string;
  /** The input described for the C Stream interface (its buffers are lent), or null. */
  input: CStreamDesc | null;
  /** Time the call has; undefined or <= 0 = none. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Runs the call and resolves with its output Table (views of the library's
 * memory), or null for a step without output. Rejects with the plugin's
 * error, CANCELLED (the signal aborted, also before the start),
 * DEADLINE_EXCEEDED (timeoutMs passed), or the addon's code (UNSUPPORTED
 * for an output type the bridge cannot read).
 */
export function callNative(addon: InProcessAddon, lib: NativeLibrary, req: NativeCallRequest): Promise<Table | null> {
  const { plugin, component, signal } = req;
  const timeoutMs = req.timeoutMs !== undefined && req.timeoutMs > 0 ? Math.ceil(req.timeoutMs) : undefined;
  return new Promise<Table | null>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new PluginCallError("CANCELLED", `call to ${component} was cancelled before it started`, { plugin, component }));
      return;
    }
    // The library reads this from its thread; the addon keeps it alive until the call returns.
    const flag = new Int32Array(1);
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      settle();
    };
    const end = (code: typeof CANCELLED | typeof DEADLINE, error: HostError) => {
      if (settled) return;
      addon.cancel(flag, code);
      finish(() => reject(error));
    };
    const onAbort = () => end(CANCELLED, new PluginCallError("CANCELLED", `call to ${component} was cancelled`, { plugin, component }));
    let pending: ReturnType<InProcessAddon["invoke"]>;
    try {
      pending = addon.invoke(lib, req.step, req.configJson, req.resourcesJson, req.input, flag, timeoutMs ?? 0);
    } catch (err) {
      reject(fromAddonError(err, plugin));
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => end(DEADLINE, new PluginCallError("DEADLINE_EXCEEDED", `call to ${component} ran past its deadline after ${timeoutMs} ms`, {
        plugin, component, hint: hintFor("DEADLINE_EXCEEDED"),
      })), timeoutMs);
    }
    pending.then(
      (answer) => finish(() => {
        if ("error" in answer) reject(fromPluginJson(answer.error, plugin));
        else if ("output" in answer) {
          try {
            resolve(answer.output ? importTable(answer.output) : null);
          } catch (err) {
            reject(err instanceof HostError ? err : fromAddonError(err, plugin));
          }
        }
        // { abandoned }: only when the flag was set, after which the promise has settled.
      }),
      (err: unknown) => finish(() => reject(fromAddonError(err, plugin))),
    );
  });
}
