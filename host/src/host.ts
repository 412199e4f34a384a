// PluginHost: the entry point of the library. Loads plugins (folder or
// installed reference), owns their lifecycles, and stops them all on close.
import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { DataPlane } from "./data/data-plane.js";
import { SegmentError } from "./data/errors.js";
import { mapSegmentTable } from "./data/map-table.js";
import type { TableRef } from "./data/table-ref.js";
import type { Table } from "apache-arrow";
import { watchPlugin, type PluginWatcher } from "./dev/watch.js";
import { registerHost, unregisterHost } from "./exit-hooks.js";
import { Logger, stderrSink } from "./logger.js";
import { loadPluginJson, type PluginSource } from "./manifest/plugin-json.js";
import { HOST_PROTOCOL_VERSIONS, resolveHostOptions, type HostOptions, type LoadOptions, type ResolvedHostOptions } from "./options.js";
import { InProcessPlugin } from "./inprocess/native-plugin.js";
import type { LoadedPlugin } from "./plugin/loaded-plugin.js";
import { Plugin } from "./plugin/plugin.js";
import { signalGroup } from "./process/process-group.js";
import { killActiveBuilds } from "./runtime/build-command.js";
import { resolvePluginRef } from "./plugin-ref.js";
import { HostError, ManifestError, PluginStartError, hintFor } from "./errors.js";

/** Launches plugins and keeps them running; `close()` stops everything. */
export class PluginHost {
  /** Options with defaults filled in. */
  readonly options: ResolvedHostOptions;
  /** The host logger (plugin lines are re-emitted through it). */
  readonly log: Logger;
  /** Segments, their registry and HEDDLE_SHM_DIR (protocol §8). */
  readonly data: DataPlane;
  private readonly loaded = new Set<LoadedPlugin>();
  private readonly watchers = new Map<Plugin, PluginWatcher>();
  /** Loads in progress, so close() can wait for (and undo) them. */
  private readonly loading = new Set<Promise<unknown>>();
  /** Aborted by close(): running builds are killed, loads in progress give up. */
  private readonly closing = new AbortController();
  private closed = false;

  constructor(options: HostOptions = {}) {
    this.options = resolveHostOptions(options);
    this.log = new Logger(this.options.logLevel, this.options.logSink ?? stderrSink);
    this.data = new DataPlane(this.options, this.log);
    if (this.options.handleProcessSignals) registerHost(this);
  }

  /** Plugins currently loaded. */
  get plugins(): LoadedPlugin[] {
    return [...this.loaded];
  }

  /**
   * Starts a plugin: resolves `dirOrRef` (folder or installed plugin), validates
   * heddle-plugin.json, prepares the runtime, starts the pool, handshakes and
   * describes. A plugin with runtime "native" is loaded into this process
   * instead (an InProcessPlugin; `pool` does not apply to it and is ignored,
   * `watch` fails with USAGE, so a watched load is always a Plugin). Narrow
   * with `instanceof Plugin` for what only process plugins have (pids,
   * handshake, runCommand, reload). Throws HostError
   * (MANIFEST_INVALID, BUILD_FAILED, PLUGIN_START_*, …).
   */
  load(dirOrRef: string, options: LoadOptions & { watch: true }): Promise<Plugin>;
  load(dirOrRef: string, options?: LoadOptions): Promise<LoadedPlugin>;
  async load(dirOrRef: string, options: LoadOptions = {}): Promise<LoadedPlugin> {
    if (this.closed) throw new HostError("PLUGIN_UNAVAILABLE", "this PluginHost is closed", { hint: "create a new PluginHost" });
    const loading = this.doLoad(dirOrRef, options);
    this.loading.add(loading);
    try {
      return await loading;
    } finally {
      this.loading.delete(loading);
    }
  }

  private async doLoad(dirOrRef: string, options: LoadOptions): Promise<LoadedPlugin> {
    const dir = await resolvePluginRef(dirOrRef);
    const source = await loadPluginJson(dir);
    if (source.json.runtime === "native") return this.loadInProcess(source, options);
    const pool = options.pool ?? source.json.pool ?? 1;
    if (!Number.isInteger(pool) || pool < 1) {
      throw new ManifestError(`pool must be an integer >= 1, got ${pool}`, { field: "/pool", plugin: source.json.name });
    }
    const declared = source.json.protocolVersions;
    if (declared && !declared.some((v) => HOST_PROTOCOL_VERSIONS.includes(v))) {
      throw new PluginStartError("PROTOCOL_MISMATCH",
        `plugin ${source.json.name} speaks protocol ${declared.join(", ")} (heddle-plugin.json), this host speaks ${HOST_PROTOCOL_VERSIONS.join(", ")}`,
        { plugin: source.json.name, hint: hintFor("PROTOCOL_MISMATCH") });
    }
    const log = this.log.child({ plugin: source.json.name });
    const plugin = await Plugin.load({
      source,
      options: this.options,
      log,
      pool,
      startTimeoutMs: options.startTimeoutMs,
      cacheRoot: join(this.options.heddleHome, "cache"),
      signal: this.closing.signal,
      data: this.data,
    });
    if (this.closed) {
      await plugin.stop();
      throw new HostError("PLUGIN_UNAVAILABLE", `the host was closed while plugin ${plugin.name} was starting`, { plugin: plugin.name });
    }
    this.loaded.add(plugin);
    plugin.once("stopped", () => {
      this.loaded.delete(plugin);
      void this.watchers.get(plugin)?.close();
      this.watchers.delete(plugin);
    });
    if (options.watch) {
      const watcher = await watchPlugin(plugin, log);
      this.watchers.set(plugin, watcher);
      await watcher.ready; // so a change right after load() is seen
    }
    log.debug(`loaded (pids ${plugin.pids.join(", ")})`);
    return plugin;
  }

  /** Loads a runtime "native" library into this process (docs/in-process.md). */
  private async loadInProcess(source: PluginSource, options: LoadOptions): Promise<InProcessPlugin> {
    const name = source.json.name;
    if (options.watch) {
      // A library cannot be unloaded (tables it made may still be alive), so it cannot be reloaded either.
      throw new HostError("USAGE", `plugin ${name} runs in-process (runtime "native"), which dev mode cannot restart`, {
        plugin: name, hint: "rebuild and restart the host to pick up changes, or develop it with runtime \"rust\" or \"go\" first",
      });
    }
    const log = this.log.child({ plugin: name });
    const plugin = await InProcessPlugin.fromSource(source, {
      cacheRoot: join(this.options.heddleHome, "cache"), log, signal: this.closing.signal, toRef: (table) => this.refFromTable(table),
    });
    if (this.closed) {
      await plugin.stop();
      throw new HostError("PLUGIN_UNAVAILABLE", `the host was closed while plugin ${name} was loading`, { plugin: name });
    }
    this.loaded.add(plugin);
    plugin.once("stopped", () => this.loaded.delete(plugin));
    log.debug(`loaded in-process from ${plugin.libraryPath}`);
    return plugin;
  }

  /** Stops every plugin gracefully and releases the host. Never throws; safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await Promise.allSettled([...this.loading]);
    await Promise.all([...this.watchers.values()].map((w) => w.close()));
    this.watchers.clear();
    await Promise.all([...this.loaded].map((p) => p.stop()));
    this.loaded.clear();
    this.data.close();
    unregisterHost(this);
  }

  /**
   * Writes a table once into a new host segment and returns its TableRef, to
   * pass to several calls by handle. SHM_UNAVAILABLE without shared memory,
   * SEGMENT_TOO_LARGE past the budget. Release it when done.
   */
  refFromTable(table: Table): TableRef {
    const holder = this.data.newRefHolder();
    const ref = this.data.writeSegment(table, holder);
    return this.data.tableRef(ref.segmentId, holder);
  }

  /**
   * A TableRef to a user's Arrow IPC *file*: plugins with `shm` map the file
   * itself (the host never reads it, and never deletes it). Fails with
   * SEGMENT_NOT_FOUND (no such file) or SEGMENT_INVALID (not an IPC file).
   */
  refFromArrowFile(path: string): TableRef {
    const abs = resolve(path);
    let length: number;
    try {
      length = statSync(abs).size;
    } catch (err) {
      throw new SegmentError("SEGMENT_NOT_FOUND", `cannot read Arrow file ${abs}: ${(err as Error).message}`, { cause: err, hint: "check the path" });
    }
    // Reads only the schema and footer (zero-copy), to learn the row count.
    const numRows = mapSegmentTable({ segmentId: "user-file", path: abs, offset: 0, length, numRows: 0 }, `Arrow file ${abs}`).numRows;
    return this.data.refFromArrowFile(abs, numRows, length);
  }

  /** Last resort at process exit: SIGKILL every plugin process group now. */
  killAllNow(): void {
    for (const p of this.loaded) if (p instanceof Plugin) for (const pid of p.pids) signalGroup(pid, "SIGKILL");
    killActiveBuilds();
    this.data.close(); // synchronous: no segment folder outlives the host process
  }
}
