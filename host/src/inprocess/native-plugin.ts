// InProcessPlugin: a native plugin loaded into the host process (runtime
// "native"), behind the LoadedPlugin API that host.load() gives for every
// plugin: manifest, openResource, closeResource, invoke, stop. Tables cross
// as Arrow C Streams with no copy in either direction, and each call runs on
// a thread of its own (see docs/in-process.md).
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import { Table } from "apache-arrow";
import type { InProcessAddon, NativeLibrary } from "@heddle/native";
import { Manifest } from "@heddle/sdk/gen/heddle/plugin/v1/manifest";
import type { TableRef } from "../data/table-ref.js";
import { PluginCallError, hintFor } from "../errors.js";
import { Logger, stderrSink } from "../logger.js";
import { decodeManifest, type PluginManifest } from "../manifest/decode.js";
import { loadPluginJson, type PluginJson, type PluginSource } from "../manifest/plugin-json.js";
import type { LoadedPlugin } from "../plugin/loaded-plugin.js";
import type { InvokeOptions } from "../plugin/plugin.js";
import { exportTable } from "./arrow-export.js";
import { inputTable, shapeOutput } from "./call-io.js";
import { InProcessError, fromAddonError, fromPluginJson } from "./errors.js";
import { resolveLibrary } from "./library-path.js";
import { callNative } from "./native-call.js";
import type { InProcessLoadOptions } from "./options.js";

/** Options of one in-process call: those of Plugin.invoke (see InProcessPlugin.invoke for what applies). */
export type InProcessInvokeOptions = InvokeOptions;

let addon: InProcessAddon | undefined;
/** The addon, loaded on first use. Throws SHM_UNAVAILABLE when it is not built. */
export function inProcessAddon(): InProcessAddon {
  if (!addon) {
    try {
      addon = (createRequire(import.meta.url)("@heddle/native") as { inprocess(): InProcessAddon }).inprocess();
    } catch (err) {
      throw fromAddonError(err, "");
    }
  }
  return addon;
}

/**
 * A native plugin running inside this process. Emits `stopped` after
 * `stop()`. What a process plugin has and a library has not (a pool, dev
 * mode's restarts, frames, Heimdall commands) does not exist here: see
 * `invoke` for the options that apply.
 */
export class InProcessPlugin extends EventEmitter implements LoadedPlugin {
  private stopped = false;
  private readonly open = new Set<string>();

  private constructor(
    private readonly source: PluginSource,
    /** The library file that was loaded. */
    readonly libraryPath: string,
    /** The decoded manifest (as `Describe` gives it). */
    readonly manifest: PluginManifest,
    private readonly lib: NativeLibrary,
    private readonly toRef?: (table: Table) => TableRef,
  ) {
    super();
  }

  /** The plugin's heddle-plugin.json name. */
  get name(): string {
    return this.source.json.name;
  }

  /** The plugin folder. */
  get dir(): string {
    return this.source.dir;
  }

  /** The validated heddle-plugin.json. */
  get pluginJson(): PluginJson {
    return this.source.json;
  }

  /**
   * Loads the plugin in `dir` (heddle-plugin.json with runtime "native").
   * Fails as `fromSource`, or with MANIFEST_INVALID for a missing or bad
   * heddle-plugin.json.
   */
  static async load(dir: string, opts: InProcessLoadOptions = {}): Promise<InProcessPlugin> {
    return InProcessPlugin.fromSource(await loadPluginJson(dir), opts);
  }

  /**
   * Loads a validated plugin folder. Fails with MANIFEST_INVALID (runtime
   * is not "native", or the entrypoint is neither a library nor a folder to
   * build), BUILD_FAILED, PLUGIN_START_FAILED (cannot dlopen),
   * HANDSHAKE_FAILED (not a Heddle library), PROTOCOL_MISMATCH (ABI
   * version) or the plugin's describe error.
   */
  static async fromSource(source: PluginSource, opts: InProcessLoadOptions = {}): Promise<InProcessPlugin> {
    const { name, runtime, entrypoint } = source.json;
    if (runtime !== "native") {
      throw new InProcessError("MANIFEST_INVALID", `plugin ${name} has runtime ${JSON.stringify(runtime)}; an in-process plugin needs "runtime": "native"`, {
        plugin: name, component: "heddle-plugin.json", field: "/runtime", hint: "load it with host.load(), which starts process plugins",
      });
    }
    const log = opts.log ?? new Logger("warn", stderrSink);
    const cacheRoot = opts.cacheRoot ?? join(homedir(), ".cache", "heddle");
    const libraryPath = await resolveLibrary(name, source.dir, entrypoint, cacheRoot, log, opts.signal);
    const native = inProcessAddon();
    let lib: NativeLibrary;
    try {
      lib = native.open(libraryPath);
    } catch (err) {
      throw fromAddonError(err, name);
    }
    const described = native.describe(lib);
    if (!described.ok) throw fromPluginJson(described.json, name);
    const manifest = decodeManifest(Manifest.fromJSON(JSON.parse(described.json)));
    return new InProcessPlugin(source, libraryPath, manifest, lib, opts.toRef);
  }

  private check(): void {
    if (this.stopped) throw new InProcessError("PLUGIN_UNAVAILABLE", `plugin ${this.name} was stopped`, { plugin: this.name, hint: "load it again" });
  }

  private component(step: string): string {
    return `${this.manifest.namespace}.${step}`;
  }

  /** Opens a resource instance. Fails with UNKNOWN_RESOURCE, INVALID_CONFIG, RESOURCE_INIT_FAILED, PLUGIN_UNAVAILABLE. */
  async openResource(kind: string, config: Record<string, unknown> = {}): Promise<{ instanceId: string; kind: string }> {
    this.check();
    const answer = inProcessAddon().openResource(this.lib, kind, JSON.stringify(config));
    if (answer.error !== undefined) throw fromPluginJson(answer.error, this.name);
    this.open.add(answer.instanceId!);
    return { instanceId: answer.instanceId!, kind };
  }

  /** Closes a resource instance. Fails with RESOURCE_NOT_OPEN or the close hook's error. */
  async closeResource(instanceId: string): Promise<void> {
    this.check();
    const error = inProcessAddon().closeResource(this.lib, instanceId);
    this.open.delete(instanceId);
    if (error !== null) throw fromPluginJson(error, this.name);
  }

  /**
   * Runs a step on a thread of its own (the event loop keeps running). The
   * input's buffers are lent to the plugin (not copied: a TableRef is
   * mapped, IPC bytes are read in place); the output Table's columns are
   * views of the plugin's memory, released when they are garbage-collected.
   * Null for a sink. Options as Plugin.invoke: `timeoutMs` and `signal` end
   * the call with DEADLINE_EXCEEDED / CANCELLED at once (the library is told
   * to stop; one without heddle_invoke_cancellable runs on to its end);
   * `output` "ipc" encodes the Table, "ref" writes it to the host's shared
   * memory; `then` runs further steps on each output in turn. `stream` does
   * not apply (nothing is sent) and is ignored. Fails with the plugin's codes
   * (UNKNOWN_STEP, INVALID_CONFIG, MISSING_RESOURCE, RESOURCE_NOT_OPEN,
   * INVALID_INPUT, STEP_FAILED, ...), UNSUPPORTED for a column type the C
   * bridge does not handle, PLUGIN_UNAVAILABLE once stopped.
   */
  invoke(step: string, opts: InvokeOptions & { output: "ref" }): Promise<TableRef | null>;
  invoke(step: string, opts: InvokeOptions & { output: "ipc" }): Promise<Uint8Array | null>;
  invoke(step: string, opts?: InvokeOptions): Promise<Table | null>;
  async invoke(step: string, opts: InvokeOptions = {}): Promise<Table | TableRef | Uint8Array | null> {
    this.check();
    const stages = [{ step, config: opts.config, resources: opts.resources }, ...(opts.then ?? [])];
    // As a fused process call: an unknown later stage fails before anything runs.
    for (const stage of stages.slice(1)) this.requireStep(stage.step);
    const deadlineAt = opts.timeoutMs && opts.timeoutMs > 0 ? Date.now() + opts.timeoutMs : undefined;
    const native = inProcessAddon();
    let table = inputTable(opts.input, { plugin: this.name, component: this.component(step) });
    for (const [i, stage] of stages.entries()) {
      // After a sink, the next stage gets an empty table, as in a fused process call.
      const input = table ?? (i > 0 ? new Table() : null);
      table = await callNative(native, this.lib, {
        plugin: this.name,
        component: this.component(stage.step),
        step: stage.step,
        configJson: JSON.stringify(stage.config ?? {}),
        resourcesJson: JSON.stringify(stage.resources ?? {}),
        input: input ? exportTable(input) : null,
        timeoutMs: deadlineAt === undefined ? undefined : Math.max(1, deadlineAt - Date.now()),
        signal: opts.signal,
      });
    }
    return shapeOutput(table, opts.output ?? "table", { plugin: this.name, component: this.component(stages[stages.length - 1].step) }, this.toRef);
  }

  /** UNKNOWN_STEP unless the manifest has `step` (a step or handler). */
  private requireStep(step: string): void {
    const known = [...this.manifest.steps, ...this.manifest.handlers].map((s) => s.name);
    if (known.includes(step)) return;
    throw new PluginCallError("UNKNOWN_STEP", `plugin ${this.name} has no step ${this.component(step)}; its steps are ${known.join(", ") || "none"}`, {
      plugin: this.name, component: this.component(step), hint: hintFor("UNKNOWN_STEP"),
    });
  }

  /**
   * Closes every instance still open and refuses further calls. The
   * library stays mapped: tables it produced may still be in use, and calls
   * already running finish. Never throws.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    for (const id of this.open) inProcessAddon().closeResource(this.lib, id);
    this.open.clear();
    this.stopped = true;
    this.emit("stopped");
  }
}

/** Loads an in-process plugin (runtime "native") from its folder. Fails as InProcessPlugin.load. */
export function loadInProcessPlugin(dir: string, opts: InProcessLoadOptions = {}): Promise<InProcessPlugin> {
  return InProcessPlugin.load(dir, opts);
}
