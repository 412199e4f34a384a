// One running plugin process: start (spawn, handshake line, Handshake,
// Describe), health checks, in-flight call tracking, crash detection and the
// graceful stop of protocol §11.
import type { ServiceError } from "@grpc/grpc-js";
import type { Manifest } from "@heddle/sdk/gen/heddle/plugin/v1/manifest";
import { PluginCrashError, PluginStartError, ProcessStoppingError, type HostError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { PluginSource } from "../manifest/plugin-json.js";
import { HOST_CAPABILITIES, type ResolvedHostOptions } from "../options.js";
import type { CallTarget, InflightCall } from "../rpc/call-runner.js";
import { connectClients, unary, type PluginClients } from "../rpc/clients.js";
import { mapGrpcError, type GrpcErrorContext } from "../rpc/grpc-errors.js";
import { rpcDescribe, rpcHandshake, type HandshakeInfo } from "../rpc/handshake.js";
import { FrameConnection } from "../rpc/frames/connection.js";
import { framesSocketPath } from "@heddle/sdk/frames";
import type { LaunchSpec } from "../runtime/types.js";
import { HOST_NAME, HOST_VERSION } from "../version.js";
import { crashError, startExitError } from "./exit-errors.js";
import { HealthMonitor } from "./health-monitor.js";
import { signalGroup, terminateGroup } from "./process-group.js";
import { createSocketDir, removeSocketDir } from "./socket-dir.js";
import { spawnPlugin, type ExitInfo, type SpawnedProcess } from "./spawn.js";

/** Everything needed to start one process. */
export interface ProcessStartContext {
  source: PluginSource;
  spec: LaunchSpec;
  options: ResolvedHostOptions;
  startTimeoutMs: number;
  /** Logger bound to the plugin's name. */
  log: Logger;
  /** The host's HEDDLE_SHM_DIR; when set the host offers the `shm` capability. */
  shmDir?: string;
}

/** How a started process ended. `expected` is true when the host stopped it. */
export interface ProcessExit {
  info: ExitInfo;
  expected: boolean;
  /** The PLUGIN_CRASHED error in-flight calls got, for unexpected exits. */
  error?: HostError;
}

// Unref: a pending bound must never keep the host process alive on its own.
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** A started plugin process. Create with `PluginProcess.start`. */
export class PluginProcess implements CallTarget {
  readonly pluginName: string;
  private readonly inflight = new Set<InflightCall>();
  private readonly exitListeners: Array<(exit: ProcessExit) => void> = [];
  private readonly health: HealthMonitor;
  private exitInfo?: ExitInfo;
  private stopping = false;
  private crashReason?: string;
  private stopPromise?: Promise<void>;
  private readonly cleanedUp: Promise<void>;
  /** The frame-lane connection (protocol §5.5), when negotiated and connected. */
  frames?: FrameConnection;

  private constructor(
    private readonly ctx: ProcessStartContext,
    private readonly spawned: SpawnedProcess,
    private readonly socketDir: string,
    /** The gRPC clients of this process. */
    readonly clients: PluginClients,
    /** What the plugin said in the Handshake RPC. */
    readonly handshake: HandshakeInfo,
    /** The manifest from Describe, as protobuf. */
    readonly manifest: Manifest,
  ) {
    this.pluginName = ctx.source.json.name;
    this.health = new HealthMonitor(() => clients.health(), {
      intervalMs: ctx.options.healthIntervalMs,
      timeoutMs: ctx.options.healthTimeoutMs,
      failures: ctx.options.healthFailures,
      onUnhealthy: (reason) => {
        ctx.log.error(`plugin is unhealthy, killing it: ${reason}`);
        this.kill(reason);
      },
    });
    this.cleanedUp = spawned.exited.then((info) => this.handleExit(info));
    this.health.start();
  }

  /**
   * Starts a process and completes the handshake. Fails with PLUGIN_START_FAILED,
   * PLUGIN_START_TIMEOUT, COOKIE_MISMATCH, PROTOCOL_MISMATCH or HANDSHAKE_FAILED;
   * on failure nothing of the process group is left running.
   */
  static async start(ctx: ProcessStartContext): Promise<PluginProcess> {
    const name = ctx.source.json.name;
    const { dir, socketPath } = await createSocketDir();
    const spawned = spawnPlugin(ctx.spec, {
      pluginName: name,
      pluginDir: ctx.source.dir,
      socketPath,
      logLevel: ctx.options.logLevel,
      extraEnv: ctx.source.json.env,
      log: ctx.log,
      shmDir: ctx.shmDir,
    });
    const deadline = Date.now() + ctx.startTimeoutMs;
    let clients: PluginClients | undefined;
    // Rejects with the start error as soon as the process exits during any start phase.
    const exitedEarly = spawned.exited.then(async (info) => {
      await spawned.stderrDrained(500);
      throw startExitError(name, info, spawned.stderrTail.last());
    });
    exitedEarly.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PluginStartError(
          "PLUGIN_START_TIMEOUT",
          `plugin ${name} printed no handshake line within ${ctx.startTimeoutMs} ms`,
          { plugin: name, hint: "raise startTimeoutMs in heddle-plugin.json, or check why the plugin hangs at start (its log lines are above)" },
        )), ctx.startTimeoutMs);
      });
      const line = await Promise.race([spawned.handshakeLine, exitedEarly, timeout]);
      clearTimeout(timer);
      ctx.log.debug("handshake line received", { pid: spawned.pid, address: line.address, protocol: line.protocolVersion });
      clients = connectClients(line.address);
      const rpcBudget = () => Math.max(2_000, deadline - Date.now());
      const host = { name: HOST_NAME, version: HOST_VERSION };
      const offered = HOST_CAPABILITIES.filter((c) => (c !== "shm" || ctx.shmDir) && (c !== "frames" || ctx.options.frames));
      const handshake = await Promise.race([rpcHandshake(clients, name, line.protocolVersion, host, rpcBudget(), offered), exitedEarly]);
      const manifest = await Promise.race([rpcDescribe(clients, name, rpcBudget()), exitedEarly]);
      const proc = new PluginProcess(ctx, spawned, dir, clients, { ...handshake, pid: handshake.pid || spawned.pid! }, manifest);
      if (handshake.capabilities.includes("frames")) await proc.connectFrames(line.address);
      return proc;
    } catch (err) {
      clearTimeout(timer);
      clients?.close();
      if (spawned.pid !== undefined) {
        signalGroup(spawned.pid, "SIGKILL");
        await Promise.race([spawned.exited, sleep(5_000)]);
        await terminateGroup(spawned.pid, 500);
      }
      spawned.closeStdin();
      await removeSocketDir(dir);
      throw err;
    }
  }

  /** Opens the frame lane; without it (the plugin listed `frames` but does not listen) calls use gRPC. */
  private async connectFrames(socketPath: string): Promise<void> {
    try {
      this.frames = await FrameConnection.connect(framesSocketPath(socketPath), 2_000, (err) => {
        if (this.alive && !this.stopping) this.ctx.log.warn(`frame lane closed, later calls use gRPC: ${err.message}`);
      });
    } catch (err) {
      this.ctx.log.warn(`plugin listed the frames capability but its frame socket refused the host; calls use gRPC: ${(err as Error).message}`);
    }
  }

  /** OS process id (also its process group id). */
  get pid(): number {
    return this.spawned.pid!;
  }

  /** True until the process exits. */
  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** True once stop() was called. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /** Number of calls in flight. */
  get inflightCount(): number {
    return this.inflight.size;
  }

  /** The last stderr lines the process printed. */
  stderrTail(): string[] {
    return this.spawned.stderrTail.last();
  }

  /** Registers a listener for the process's end. */
  onExit(listener: (exit: ProcessExit) => void): void {
    this.exitListeners.push(listener);
  }

  /** Registers an in-flight call; if the process is already gone the call fails at once. */
  track(call: InflightCall): () => void {
    if (!this.alive || this.stopping) {
      call.fail(new ProcessStoppingError(`plugin ${this.pluginName} (pid ${this.pid}) is stopping or stopped`, {
        plugin: this.pluginName, component: call.component,
      }));
      return () => {};
    }
    this.inflight.add(call);
    return () => this.inflight.delete(call);
  }

  /** For a broken connection: waits briefly for the process to exit (then the call already got PLUGIN_CRASHED), else TRANSPORT. */
  async explainFailure(err: ServiceError, ctx: GrpcErrorContext): Promise<HostError> {
    if (await this.waitExit(1_000)) {
      return crashError(this.pluginName, this.pid, this.exitInfo!, this.stderrTail(), this.crashReason);
    }
    return mapGrpcError(err, ctx);
  }

  /** Resolves true if the process exits within `ms`. */
  async waitExit(ms: number): Promise<boolean> {
    if (!this.alive) return true;
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([
      this.spawned.exited.then(() => true),
      new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); }),
    ]);
    clearTimeout(timer);
    return exited;
  }

  /** Kills the whole process group at once (SIGKILL); the exit counts as a crash with `reason`. */
  kill(reason: string): void {
    this.crashReason ??= reason;
    signalGroup(this.pid, "SIGKILL");
  }

  /**
   * Graceful stop (protocol §11): Shutdown RPC, wait grace + 500 ms, SIGTERM to
   * the group, wait grace, SIGKILL; then any leftover child of the group is
   * terminated the same way. Never throws; resolves when nothing is left.
   */
  stop(graceMs = this.ctx.options.shutdownGraceMs): Promise<void> {
    this.stopPromise ??= this.doStop(graceMs);
    return this.stopPromise;
  }

  private async doStop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.health.stop();
    if (this.alive) {
      try {
        await unary(this.clients.controller.shutdown, this.clients.controller, { graceMs }, 1_000);
      } catch (err) {
        this.ctx.log.debug(`Shutdown RPC failed, signalling instead: ${(err as Error).message}`);
      }
      if (!(await this.waitExit(graceMs + 500))) {
        this.ctx.log.warn(`plugin did not exit within ${graceMs + 500} ms of Shutdown; sending SIGTERM to its process group`, { pid: this.pid });
        signalGroup(this.pid, "SIGTERM");
        if (!(await this.waitExit(graceMs))) {
          this.ctx.log.warn("plugin ignored SIGTERM; sending SIGKILL to its process group", { pid: this.pid });
          signalGroup(this.pid, "SIGKILL");
          await this.waitExit(5_000);
        }
      }
    }
    await this.cleanedUp;
  }

  private async handleExit(info: ExitInfo): Promise<void> {
    this.exitInfo = info;
    this.health.stop();
    const expected = this.stopping;
    let error: HostError | undefined;
    if (expected) {
      error = new PluginCrashError("PLUGIN_UNAVAILABLE", `plugin ${this.pluginName} was stopped while the call was running`, { plugin: this.pluginName });
    } else {
      // A short wait so the crash message can quote the plugin's last words.
      await this.spawned.stderrDrained(200);
      error = crashError(this.pluginName, this.pid, info, this.stderrTail(), this.crashReason);
      this.ctx.log.error(error.message);
    }
    for (const call of [...this.inflight]) call.fail(error);
    this.inflight.clear();
    this.frames?.close();
    this.clients.close();
    this.spawned.closeStdin();
    for (const listener of this.exitListeners) listener({ info, expected, error: expected ? undefined : error });
    // Children the plugin left behind in its group die too (protocol §11).
    await terminateGroup(this.pid, expected ? this.ctx.options.shutdownGraceMs : 500);
    await removeSocketDir(this.socketDir);
  }
}
