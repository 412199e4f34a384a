// The handle callers hold for a loaded plugin: a pool of processes behind one
// manifest, host-side resource ids, and the calls (Invoke, InvokeStream,
// RunCommand) spread over the least busy process.
import { EventEmitter } from "node:events";
import type { Table } from "apache-arrow";
import { decodePluginOutput, payloadLength } from "../arrow/ipc.js";
import { outputThreshold, prepareInput, resolveOutput, type CallSide, type InvokeInput, type OutputMode } from "../data/call-data.js";
import type { DataPlane } from "../data/data-plane.js";
import type { TableRef } from "../data/table-ref.js";
import { HostError, PluginCallError, PluginCrashError, ProcessStoppingError } from "../errors.js";
import type { Logger } from "../logger.js";
import { decodeManifest, type PluginManifest } from "../manifest/decode.js";
import { loadPluginJson, type PluginJson, type PluginSource } from "../manifest/plugin-json.js";
import { INLINE_LIMIT_BYTES, type ResolvedHostOptions } from "../options.js";
import { PluginProcess } from "../process/plugin-process.js";
import type { HandshakeInfo } from "../rpc/handshake.js";
import { invokeOnProcess } from "../rpc/invoke.js";
import { closeResourceOnProcess, openResourceOnProcess } from "../rpc/resources.js";
import { releaseSegmentsOnProcess } from "../rpc/release-segments.js";
import { runCommandOnProcess, type CommandOutcome } from "../rpc/run-command.js";
import { prepareLaunch, type LaunchSpec } from "../runtime/index.js";
import { nextCallId } from "./call-ids.js";
import type { LoadedPlugin } from "./loaded-plugin.js";
import { PoolSlot, type SlotOwner } from "./pool-slot.js";
import { ResourceTable } from "./resource-table.js";
import { acquireSlot } from "./slot-picker.js";

/** Options of `plugin.invoke`. */
export interface InvokeOptions {
  config?: Record<string, unknown>;
  /** Binding name → host instance id from `openResource`. */
  resources?: Record<string, string>;
  /** A Table, Arrow IPC bytes, or a TableRef (forwarded by handle to a plugin with `shm`). */
  input?: InvokeInput;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Force InvokeStream (large outputs). Inputs over 4 MiB always stream (unless sent by handle). */
  stream?: boolean;
  /** `table` (default): resolve with a Table (mapped zero-copy when it came by handle); `ref`: a TableRef; `ipc`: the output's IPC stream bytes. */
  output?: OutputMode;
  /**
   * Further steps of the same plugin fused into this call: each runs on the
   * previous one's output inside the plugin, in memory, and the call resolves
   * with the last output. Errors name the failing stage's step.
   */
  then?: FusedStage[];
}

/** One fused stage of `invoke`'s `then`. */
export interface FusedStage {
  step: string;
  config?: Record<string, unknown>;
  /** Binding name → host instance id from `openResource`. */
  resources?: Record<string, string>;
}

/** Options of `plugin.runCommand`. */
export interface RunCommandOptions {
  context?: Record<string, unknown>;
  /** The selected cluster (name, tags, context). */
  cluster?: Record<string, unknown>;
  jobId?: string;
  resources?: Record<string, string>;
  onStdout?: (line: string) => void;
  onStderr?: (line: string) => void;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What `runCommand` resolves with. */
export interface CommandResult {
  result: Table | null;
  status: CommandOutcome;
}

/** Internal construction parameters (PluginHost builds plugins). */
export interface PluginInit {
  source: PluginSource;
  options: ResolvedHostOptions;
  log: Logger;
  pool: number;
  startTimeoutMs?: number;
  cacheRoot: string;
  /** Aborted when the host closes: builds are killed and a load in progress gives up. */
  signal?: AbortSignal;
  /** The host's data plane (segments and their registry). */
  data?: DataPlane;
}

/**
 * A loaded plugin. Events: `ready` {slot, pid}, `crash` {slot, pid, error},
 * `restarting` {slot, delayMs, attempt}, `unavailable` {slot, error},
 * `reloading` {reason}, `reloaded` {pids}, `reload-failed` {error}.
 */
export class Plugin extends EventEmitter implements SlotOwner, LoadedPlugin {
  /** The decoded manifest from Describe. */
  manifest!: PluginManifest;
  /** Handshake facts of the first process. */
  handshake!: HandshakeInfo;
  private source: PluginSource;
  private spec!: LaunchSpec;
  private readonly slots: PoolSlot[];
  private readonly resources = new ResourceTable();
  private stopped = false;
  private reloading?: Promise<void>;
  private reloadAgain = false;

  private constructor(private readonly init: PluginInit) {
    super();
    this.source = init.source;
    this.slots = Array.from({ length: init.pool }, (_, i) => new PoolSlot(i, this));
  }

  /** Prepares (builds) and starts every pool process. Throws the first start error; nothing is left running. */
  static async load(init: PluginInit): Promise<Plugin> {
    const plugin = new Plugin(init);
    plugin.spec = await prepareLaunch({ source: init.source, cacheRoot: init.cacheRoot, log: init.log, signal: init.signal });
    const results = await Promise.allSettled(plugin.slots.map((s) => s.start()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed || init.signal?.aborted) {
      await plugin.stop();
      throw failed ? failed.reason : new PluginCrashError("PLUGIN_UNAVAILABLE", `the host was closed while plugin ${plugin.name} was starting`, { plugin: plugin.name });
    }
    return plugin;
  }

  /** The plugin's name from heddle-plugin.json. */
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

  /** Host options (SlotOwner). */
  get options(): ResolvedHostOptions {
    return this.init.options;
  }

  /** Plugin-bound logger (SlotOwner). */
  get log(): Logger {
    return this.init.log;
  }

  /** Pids of the running pool processes. */
  get pids(): number[] {
    return this.slots.flatMap((s) => (s.state === "ready" && s.process ? [s.process.pid] : []));
  }

  /** Opens a resource instance on every pool process. Resolves with the host-side id. Throws the plugin's error (e.g. INVALID_CONFIG). */
  async openResource(kind: string, config: Record<string, unknown> = {}): Promise<{ instanceId: string; kind: string }> {
    const component = `${this.manifest.namespace}.${kind}`;
    const configJson = JSON.stringify(config);
    const resource = { instanceId: this.resources.newId(kind), kind, configJson, bySlot: new Map<PoolSlot, string>(), reopenErrors: new Map<PoolSlot, Error>() };
    try {
      for (const slot of this.slots) {
        const proc = await slot.acquire();
        resource.bySlot.set(slot, await openResourceOnProcess(proc, nextCallId(), component, kind, configJson));
      }
    } catch (err) {
      await this.closeOnSlots(resource.bySlot, component);
      throw err;
    }
    this.resources.add(resource);
    return { instanceId: resource.instanceId, kind };
  }

  /** Closes a resource instance everywhere. Throws RESOURCE_NOT_OPEN for an unknown id. */
  async closeResource(instanceId: string): Promise<void> {
    const res = this.resources.get(instanceId);
    if (!res) {
      throw new PluginCallError("RESOURCE_NOT_OPEN", `no open resource instance ${JSON.stringify(instanceId)}`, { plugin: this.name });
    }
    this.resources.remove(instanceId);
    const errors = await this.closeOnSlots(res.bySlot, `${this.manifest.namespace}.${res.kind}`);
    if (errors.length) throw errors[0];
  }

  /**
   * Runs a step (or handler). Resolves with the output table (a TableRef with
   * `output: "ref"`), or null for a step that returns none. Throws HostError
   * (plugin errors, PLUGIN_CRASHED, SEGMENT_* for bad handles, …).
   */
  invoke(step: string, opts: InvokeOptions & { output: "ref" }): Promise<TableRef | null>;
  invoke(step: string, opts: InvokeOptions & { output: "ipc" }): Promise<Uint8Array | null>;
  invoke(step: string, opts?: InvokeOptions): Promise<Table | null>;
  async invoke(step: string, opts: InvokeOptions = {}): Promise<Table | TableRef | Uint8Array | null> {
    const component = `${this.manifest.namespace}.${step}`;
    const deadlineAt = opts.timeoutMs && opts.timeoutMs > 0 ? Date.now() + opts.timeoutMs : undefined;
    const data = this.init.data;
    return this.onSomeProcess({ component, deadlineAt, signal: opts.signal }, async (slot, proc) => {
      const callId = nextCallId();
      const side: CallSide = {
        shm: !!data?.enabled && proc.handshake.capabilities.includes("shm"),
        holder: `call:${callId}`, pid: proc.handshake.pid, plugin: this.name, component,
      };
      const prepared = prepareInput(data, opts.input, side);
      side.lent = prepared.inputRef?.segmentId;
      try {
        const inputBytes = prepared.input ? payloadLength(prepared.input) : 0;
        const stream = this.chooseStream(proc, opts.stream === true || inputBytes > INLINE_LIMIT_BYTES, inputBytes, component);
        const out = await invokeOnProcess(proc, {
          callId,
          component,
          step,
          configJson: JSON.stringify(opts.config ?? {}),
          resources: this.resources.mapFor(slot, opts.resources, this.name, component),
          input: prepared.input,
          inputRef: prepared.inputRef,
          inputRows: prepared.inputRows,
          shmOutputThreshold: outputThreshold(data, side, opts.output ?? "table"),
          stream,
          timeoutMs: deadlineAt === undefined ? undefined : Math.max(1, deadlineAt - Date.now()),
          signal: opts.signal,
          then: (opts.then ?? []).map((stage) => ({
            step: stage.step,
            configJson: JSON.stringify(stage.config ?? {}),
            resources: this.resources.mapFor(slot, stage.resources, this.name, `${this.manifest.namespace}.${stage.step}`),
          })),
        });
        return resolveOutput(data, out, side, opts.output ?? "table");
      } finally {
        prepared.done();
      }
    });
  }

  /** Runs a Heimdall command. Lines go to onStdout/onStderr as they come. Throws HostError when the status carries an error. */
  async runCommand(name: string, opts: RunCommandOptions = {}): Promise<CommandResult> {
    const component = `${this.manifest.namespace}.${name}`;
    const deadlineAt = opts.timeoutMs && opts.timeoutMs > 0 ? Date.now() + opts.timeoutMs : undefined;
    return this.onSomeProcess({ component, deadlineAt, signal: opts.signal }, async (slot, proc) => {
      const out = await runCommandOnProcess(proc, {
        callId: nextCallId(),
        component,
        command: name,
        contextJson: JSON.stringify(opts.context ?? {}),
        clusterJson: opts.cluster ? JSON.stringify(opts.cluster) : "",
        jobId: opts.jobId ?? "",
        resources: this.resources.mapFor(slot, opts.resources, this.name, component),
        onStdout: opts.onStdout,
        onStderr: opts.onStderr,
        timeoutMs: deadlineAt === undefined ? undefined : Math.max(1, deadlineAt - Date.now()),
        signal: opts.signal,
      });
      return { result: out.result ? decodePluginOutput(out.result, this.name, component) : null, status: out.status };
    });
  }

  /**
   * Restarts every process with a freshly prepared launch (dev mode): re-reads
   * heddle-plugin.json, rebuilds, re-opens resources. Calls made meanwhile
   * wait for the new processes. Rejects with the build/start error.
   */
  async reload(reason = "reload requested"): Promise<void> {
    if (this.stopped) return;
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      try {
        do {
          this.reloadAgain = false;
          this.emit("reloading", { reason });
          this.source = await loadPluginJson(this.source.dir);
          this.spec = await prepareLaunch({ source: this.source, cacheRoot: this.init.cacheRoot, log: this.log, signal: this.init.signal });
          for (const slot of this.slots) await slot.reload();
          this.emit("reloaded", { pids: this.pids });
        } while (this.reloadAgain && !this.stopped);
      } catch (err) {
        this.emit("reload-failed", { error: err });
        throw err;
      } finally {
        this.reloading = undefined;
      }
    })();
    return this.reloading;
  }

  /** Stops every process gracefully (Shutdown, SIGTERM, SIGKILL to the group). Never throws. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.slots.map((s) => s.stop()));
    this.emit("stopped");
  }

  /** SlotOwner: starts one process with the current launch spec. */
  async startProcess(): Promise<PluginProcess> {
    const proc = await PluginProcess.start({
      source: this.source,
      spec: this.spec,
      options: this.init.options,
      startTimeoutMs: this.init.startTimeoutMs ?? this.source.json.startTimeoutMs ?? this.init.options.startTimeoutMs,
      log: this.log,
      shmDir: this.init.data?.shmDir,
    });
    const data = this.init.data;
    if (data?.enabled) {
      const pid = proc.handshake.pid;
      data.attachProducer(pid, (ids) => releaseSegmentsOnProcess(proc.clients, ids, this.log));
      // Its holds go and its leftover segment files are deleted, whatever ended it.
      proc.onExit(() => data.processGone(pid));
    }
    // The newest process defines what callers see (dev mode may change the manifest).
    this.manifest = decodeManifest(proc.manifest);
    this.handshake = proc.handshake;
    return proc;
  }

  /** SlotOwner: re-opens the host's resource instances on a new process. */
  async prepareProcess(slot: PoolSlot, proc: PluginProcess): Promise<void> {
    for (const res of this.resources.all()) {
      res.bySlot.delete(slot);
      res.reopenErrors.delete(slot);
      try {
        res.bySlot.set(slot, await openResourceOnProcess(proc, nextCallId(), `${this.manifest.namespace}.${res.kind}`, res.kind, res.configJson));
      } catch (err) {
        res.reopenErrors.set(slot, err as Error);
        this.log.error(`could not re-open resource ${res.instanceId} after restart: ${(err as Error).message}`);
      }
    }
  }

  /** SlotOwner: lifecycle notifications become events. */
  notify(event: "ready" | "crash" | "restarting" | "unavailable", detail: Record<string, unknown>): void {
    this.emit(event, detail);
  }

  /**
   * Runs `call` on the least busy ready process (waiting for one if all are
   * restarting). A call whose process began stopping before the call was
   * sent (dev-mode reload) is sent again to the next process.
   */
  private async onSomeProcess<T>(req: { component: string; deadlineAt?: number; signal?: AbortSignal }, call: (slot: PoolSlot, proc: PluginProcess) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const { slot, proc } = await acquireSlot(this.slots, { plugin: this.name, ...req });
      try {
        return await call(slot, proc);
      } catch (err) {
        if (!(err instanceof ProcessStoppingError) || attempt >= 3) throw err;
      } finally {
        slot.load -= 1;
      }
    }
  }

  private chooseStream(proc: PluginProcess, wanted: boolean, inputBytes: number, component: string): boolean {
    if (!wanted || proc.handshake.capabilities.includes("streaming") || proc.frames?.usable) return wanted;
    if (inputBytes <= INLINE_LIMIT_BYTES) return false;
    throw new PluginCallError("UNSUPPORTED", `input of ${inputBytes} bytes needs InvokeStream, which plugin ${this.name} does not support`, {
      plugin: this.name, component, hint: "send a smaller input (≤ 4 MiB) or upgrade the plugin's SDK",
    });
  }

  private async closeOnSlots(bySlot: Map<PoolSlot, string>, component: string): Promise<HostError[]> {
    const errors: HostError[] = [];
    for (const [slot, pluginId] of bySlot) {
      if (slot.state !== "ready" || !slot.process) continue;
      try {
        await closeResourceOnProcess(slot.process, nextCallId(), component, pluginId);
      } catch (err) {
        if (!(err instanceof PluginCrashError)) errors.push(err as HostError);
      }
    }
    return errors;
  }
}
