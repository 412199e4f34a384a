// LoadedPlugin: what `host.load()` gives for any plugin, whichever way it
// runs: a pool of processes (Plugin) or a library inside the host
// (InProcessPlugin, runtime "native"). Callers that need what only processes
// have (pids, handshake, runCommand, reload) narrow with `instanceof Plugin`.
import type { EventEmitter } from "node:events";
import type { Table } from "apache-arrow";
import type { TableRef } from "../data/table-ref.js";
import type { PluginManifest } from "../manifest/decode.js";
import type { PluginJson } from "../manifest/plugin-json.js";
import type { InvokeOptions } from "./plugin.js";

/**
 * A loaded plugin. Emits `stopped` once `stop()` has run. Every method
 * rejects with a HostError carrying a stable code.
 */
export interface LoadedPlugin extends EventEmitter {
  /** The plugin's name from heddle-plugin.json. */
  readonly name: string;
  /** The plugin folder. */
  readonly dir: string;
  /** The validated heddle-plugin.json. */
  readonly pluginJson: PluginJson;
  /** The decoded manifest (steps, resources, handlers, commands). */
  readonly manifest: PluginManifest;
  /** Opens a resource instance; resolves with the host-side id. Fails with the plugin's error (INVALID_CONFIG, UNKNOWN_RESOURCE, ...). */
  openResource(kind: string, config?: Record<string, unknown>): Promise<{ instanceId: string; kind: string }>;
  /** Closes a resource instance. Fails with RESOURCE_NOT_OPEN for an unknown id. */
  closeResource(instanceId: string): Promise<void>;
  /**
   * Runs a step; resolves with its output (a TableRef with `output: "ref"`,
   * IPC stream bytes with `output: "ipc"`), or null for a step without one.
   * Fails with the plugin's codes, DEADLINE_EXCEEDED after `timeoutMs`,
   * CANCELLED when `signal` aborts.
   */
  invoke(step: string, opts: InvokeOptions & { output: "ref" }): Promise<TableRef | null>;
  invoke(step: string, opts: InvokeOptions & { output: "ipc" }): Promise<Uint8Array | null>;
  invoke(step: string, opts?: InvokeOptions): Promise<Table | null>;
  /** Stops the plugin; later calls fail with PLUGIN_UNAVAILABLE. Never throws. */
  stop(): Promise<void>;
}
