// InProcessPlugin: a native plugin loaded into the host process (runtime
// "native"), with the LoadedPlugin-like API: manifest, openResource,
// closeResource, invoke -> apache-arrow Table, stop. Tables cross as Arrow
// C Streams with no copy in either direction (see docs/in-process.md).
import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { Table } from "apache-arrow";
import type { InProcessAddon, NativeLibrary } from "@heddle/native";
import { Manifest } from "@heddle/sdk/gen/heddle/plugin/v1/manifest";
import { Logger, stderrSink } from "../logger.js";
import { decodeManifest, type PluginManifest } from "../manifest/decode.js";
import { exportTable } from "./arrow-export.js";
import { importTable } from "./arrow-import.js";
import { InProcessError, fromAddonError, fromPluginJson } from "./errors.js";
import { resolveLibrary } from "./library-path.js";
import type { InProcessLoadOptions } from "./options.js";

/** Options of one in-process call. */
export interface InProcessInvokeOptions {
  config?: Record<string, unknown>;
  /** binding -> instance id. */
  resources?: Record<string, string>;
  input?: Table | null;
}

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

/** A native plugin running inside this process. */
export class InProcessPlugin {
  private stopped = false;
  private readonly open = new Set<string>();

  private constructor(
    /** The plugin's heddle-plugin.json name. */
    readonly name: string,
    /** The library file that was loaded. */
    readonly libraryPath: string,
    /** The decoded manifest (as `Describe` gives it). */
    readonly manifest: PluginManifest,
    private readonly lib: NativeLibrary,
  ) {}

  /**
   * Loads the plugin in `dir` (heddle-plugin.json with runtime "native").
   * Fails with MANIFEST_INVALID, BUILD_FAILED, PLUGIN_START_FAILED (cannot
   * dlopen), HANDSHAKE_FAILED (not a Heddle library), PROTOCOL_MISMATCH
   * (ABI version) or the plugin's describe error.
   */
  static async load(dir: string, opts: InProcessLoadOptions = {}): Promise<InProcessPlugin> {
    dir = resolve(dir);
    const jsonPath = join(dir, "heddle-plugin.json");
    const json = await readFile(jsonPath, "utf8").then((t) => JSON.parse(t) as Record<string, unknown>, (err: Error) => {
      throw new InProcessError("MANIFEST_INVALID", `cannot read ${jsonPath}: ${err.message}`, { component: "heddle-plugin.json", cause: err });
    });
    const name = typeof json.name === "string" ? json.name : "";
    if (json.runtime !== "native" || !name || typeof json.entrypoint !== "string") {
      throw new InProcessError("MANIFEST_INVALID", `${jsonPath} must have a "name", "runtime": "native" and an "entrypoint" (the .so or the crate folder)`, {
        plugin: name, component: "heddle-plugin.json",
      });
    }
    const log = opts.log ?? new Logger("warn", stderrSink);
    const cacheRoot = opts.cacheRoot ?? join(homedir(), ".cache", "heddle");
    const libraryPath = await resolveLibrary(name, dir, json.entrypoint, cacheRoot, log, opts.signal);
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
    return new InProcessPlugin(name, libraryPath, manifest, lib);
  }

  private check(): void {
    if (this.stopped) throw new InProcessError("PLUGIN_UNAVAILABLE", `plugin ${this.name} was stopped`, { plugin: this.name, hint: "load it again" });
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
   * Runs a step in this process. The input's buffers are lent to the
   * plugin (not copied); the output Table's columns are views of the
   * plugin's memory, released when they are garbage-collected. Null for a
   * sink. Fails with the plugin's codes (UNKNOWN_STEP, INVALID_CONFIG,
   * MISSING_RESOURCE, RESOURCE_NOT_OPEN, INVALID_INPUT, STEP_FAILED, ...) or
   * UNSUPPORTED for a column type the C bridge does not handle.
   */
  async invoke(step: string, opts: InProcessInvokeOptions = {}): Promise<Table | null> {
    this.check();
    const input = opts.input ? exportTable(opts.input) : null;
    let answer;
    try {
      answer = inProcessAddon().invoke(this.lib, step, JSON.stringify(opts.config ?? {}), JSON.stringify(opts.resources ?? {}), input);
    } catch (err) {
      throw fromAddonError(err, this.name);
    }
    if ("error" in answer) throw fromPluginJson(answer.error, this.name);
    return answer.output ? importTable(answer.output) : null;
  }

  /**
   * Closes every instance still open and refuses further calls. The
   * library stays mapped: tables it produced may still be in use.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    for (const id of this.open) inProcessAddon().closeResource(this.lib, id);
    this.open.clear();
    this.stopped = true;
  }
}

/** Loads an in-process plugin (runtime "native") from its folder. Fails as InProcessPlugin.load. */
export function loadInProcessPlugin(dir: string, opts: InProcessLoadOptions = {}): Promise<InProcessPlugin> {
  return InProcessPlugin.load(dir, opts);
}
