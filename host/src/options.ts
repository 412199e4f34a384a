// Options of PluginHost and of host.load(), with their defaults in one place.
import { homedir, totalmem } from "node:os";
import { join } from "node:path";
import { HostError } from "./errors.js";
import type { LogLevel, LogSink } from "./logger.js";

/** Options of `new PluginHost(options)`. Every field is optional. */
export interface HostOptions {
  /** Lowest level logged (host and plugins; also passed to plugins as HEDDLE_LOG_LEVEL). Default `warn`. */
  logLevel?: LogLevel;
  /** Where log records go. Default: one human line each on the host's stderr. */
  logSink?: LogSink;
  /** Start deadline when heddle-plugin.json sets none. Default 30000. */
  startTimeoutMs?: number;
  /** Interval between grpc.health.v1 checks. Default 5000; 0 disables them. */
  healthIntervalMs?: number;
  /** Deadline of one health check. Default 2000. */
  healthTimeoutMs?: number;
  /** Failed health checks in a row that count as a crash. Default 3. */
  healthFailures?: number;
  /** grace_ms sent with Shutdown, and the wait between SIGTERM and SIGKILL. Default 2000. */
  shutdownGraceMs?: number;
  /** Root of the build cache is `<heddleHome>/cache`. Default `$HEDDLE_HOME` or `~/.heddle`. */
  heddleHome?: string;
  /** First restart delay after a crash; doubles per restart. Default 200. */
  restartInitialDelayMs?: number;
  /** Upper bound of the restart delay. Default 10000. */
  restartMaxDelayMs?: number;
  /** Restarts allowed inside `restartWindowMs` before the plugin is PLUGIN_UNAVAILABLE. Default 5. */
  maxRestarts?: number;
  /** Window for `maxRestarts`. Default 60000. */
  restartWindowMs?: number;
  /** Stop every plugin when the host process gets SIGINT/SIGTERM or exits. Default true. */
  handleProcessSignals?: boolean;
  /**
   * Offer the `frames` capability: Invoke over the frame lane (protocol §5.5)
   * instead of gRPC when the plugin supports it. Default true, unless the
   * environment sets HEDDLE_FRAMES=0.
   */
  frames?: boolean;
  /** Offer the `shm` capability (protocol §8) when /dev/shm is writable. Default true. */
  shm?: boolean;
  /** Tables of at least this many Arrow IPC bytes go to shm-capable plugins by handle. Default 1 MiB. */
  shmThreshold?: number;
  /** Bytes of live segments kept in shared memory before the oldest spill to `spillDir`. Default 50% of RAM. */
  shmBudget?: number;
  /** Where spilled segments go (a disk folder; a per-host subfolder is created). Default `<heddleHome>/spill`. */
  spillDir?: string;
}

/** Options of `host.load(dirOrRef, options)`. */
export interface LoadOptions {
  /** Number of plugin processes; calls go to the one with the fewest in flight. Default: heddle-plugin.json `pool`, else 1. */
  pool?: number;
  /** Dev mode: watch the plugin folder and restart the plugin when a file changes. */
  watch?: boolean;
  /** Overrides the start deadline of heddle-plugin.json and the host. */
  startTimeoutMs?: number;
}

/** HostOptions with every default filled in. */
export type ResolvedHostOptions = Required<Omit<HostOptions, "logSink">> & Pick<HostOptions, "logSink">;

/** Inline tables above this go through InvokeStream (protocol §5.1). */
export const INLINE_LIMIT_BYTES = 4 * 1024 * 1024;
/** Largest TableChunk the host sends (protocol §5.2). */
export const CHUNK_BYTES = 2 * 1024 * 1024;
/** gRPC max receive size on the host's channel (the protocol asks for at least 16 MiB). */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;
/** Protocol versions this host speaks, highest first. */
export const HOST_PROTOCOL_VERSIONS: readonly number[] = [1];
/** Capability flags this host supports (protocol §2.4); `shm` is offered only when the host has a segment folder. */
export const HOST_CAPABILITIES: readonly string[] = ["streaming", "cancel", "commands", "shm", "frames"];
/** Default of `shmThreshold`. */
export const DEFAULT_SHM_THRESHOLD = 1024 * 1024;
/** The magic cookie of protocol §2.1. */
export const PLUGIN_COOKIE = "5c0f6a8e1d2b4c7f9a3e0b6d8c1f2a47";
/** Stderr lines kept per process to quote in crash errors. */
export const STDERR_TAIL_LINES = 50;

/** Fills in the defaults of HostOptions. */
export function resolveHostOptions(options: HostOptions = {}): ResolvedHostOptions {
  const heddleHome = options.heddleHome ?? defaultHeddleHome();
  return {
    logLevel: options.logLevel ?? "warn",
    logSink: options.logSink,
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
    healthIntervalMs: options.healthIntervalMs ?? 5_000,
    healthTimeoutMs: options.healthTimeoutMs ?? 2_000,
    healthFailures: options.healthFailures ?? 3,
    shutdownGraceMs: options.shutdownGraceMs ?? 2_000,
    heddleHome,
    restartInitialDelayMs: options.restartInitialDelayMs ?? 200,
    restartMaxDelayMs: options.restartMaxDelayMs ?? 10_000,
    maxRestarts: options.maxRestarts ?? 5,
    restartWindowMs: options.restartWindowMs ?? 60_000,
    handleProcessSignals: options.handleProcessSignals ?? true,
    shm: options.shm ?? true,
    frames: options.frames ?? process.env.HEDDLE_FRAMES !== "0",
    shmThreshold: positive(options.shmThreshold, "shmThreshold") ?? DEFAULT_SHM_THRESHOLD,
    shmBudget: positive(options.shmBudget, "shmBudget") ?? Math.floor(totalmem() / 2),
    spillDir: options.spillDir ?? join(heddleHome, "spill"),
  };
}

function positive(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 1) throw new HostError("USAGE", `${name} must be a positive whole number of bytes, got ${value}`, { hint: `pass e.g. ${name}: 1048576` });
  return value;
}

/** `$HEDDLE_HOME`, else `~/.heddle`. */
export function defaultHeddleHome(): string {
  return process.env.HEDDLE_HOME || join(homedir(), ".heddle");
}
