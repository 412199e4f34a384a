// Starts one plugin process (protocol §2.1): new process group, stdin kept
// open, stdout scanned for the handshake line, stderr re-emitted as logs.
import { createInterface } from "node:readline";
import { execa } from "execa";
import type { Logger } from "../logger.js";
import { HOST_PROTOCOL_VERSIONS, PLUGIN_COOKIE, STDERR_TAIL_LINES } from "../options.js";
import type { LaunchSpec } from "../runtime/types.js";
import { parseHandshakeLine, type HandshakeLine } from "./handshake-line.js";
import { LineTail, parseLogLine } from "./stderr-log.js";

/** How a process ended. `spawnError` is set when it never started. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: Error;
}

/** What the launch needs besides the LaunchSpec. */
export interface SpawnOptions {
  pluginName: string;
  pluginDir: string;
  socketPath: string;
  logLevel: string;
  /** heddle-plugin.json `env`. */
  extraEnv?: Record<string, string>;
  /** The host's segment folder, passed as HEDDLE_SHM_DIR when the host offers `shm`. */
  shmDir?: string;
  log: Logger;
}

/** A started plugin process and the streams the host watches. */
export interface SpawnedProcess {
  /** Process id, also the process group id. Undefined only when spawning failed. */
  pid: number | undefined;
  stderrTail: LineTail;
  /** Resolves when the process exits (or fails to spawn). */
  exited: Promise<ExitInfo>;
  /** Resolves with the handshake line; rejects on a malformed one. Never settles if the process prints none. */
  handshakeLine: Promise<HandshakeLine>;
  /** Resolves once stderr reached its end, or after `maxWaitMs` (children may keep it open). */
  stderrDrained(maxWaitMs: number): Promise<void>;
  /** Closes stdin: tells the plugin the host is gone. */
  closeStdin(): void;
}

/** Spawns the plugin. Never throws: spawn errors come out of `exited`. */
export function spawnPlugin(spec: LaunchSpec, opts: SpawnOptions): SpawnedProcess {
  const env: Record<string, string | undefined> = {
    ...spec.env,
    ...(opts.extraEnv ?? {}),
    HEDDLE_PLUGIN_COOKIE: PLUGIN_COOKIE,
    HEDDLE_PLUGIN_PROTOCOL_VERSIONS: HOST_PROTOCOL_VERSIONS.join(","),
    HEDDLE_PLUGIN_SOCKET: opts.socketPath,
    HEDDLE_LOG_LEVEL: opts.logLevel,
    HEDDLE_PLUGIN_NAME: opts.pluginName,
    HEDDLE_PLUGIN_DIR: opts.pluginDir,
    ...(opts.shmDir ? { HEDDLE_SHM_DIR: opts.shmDir } : {}),
  };
  // An inherited HEDDLE_SHM_DIR (a host started by a plugin) must not leak into a plugin the host offers no shm.
  // (Node's spawn drops undefined values, so this also hides the inherited one.)
  if (!opts.shmDir) env.HEDDLE_SHM_DIR = undefined;
  const child = execa(spec.command, spec.args, {
    cwd: spec.cwd,
    env,
    extendEnv: true,
    detached: true, // own process group: signals reach the plugin's children too
    cleanup: false, // the host stops plugins itself (Shutdown, then signals to the group)
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    buffer: false,
    reject: false,
  });
  // The result promise only matters for its side effects; errors surface through `exited`.
  child.catch(() => undefined);
  const pid = child.pid;
  const log = opts.log.child({ pid });
  const stderrTail = new LineTail(STDERR_TAIL_LINES);

  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", (err) => {
      if (child.pid === undefined || child.exitCode === null) resolve({ code: null, signal: null, spawnError: err });
    });
  });
  child.stdin?.on("error", () => undefined); // EPIPE once the plugin is gone

  let sawHandshake = false;
  const handshakeLine = new Promise<HandshakeLine>((resolve, reject) => {
    if (!child.stdout) return;
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on("line", (line) => {
      if (sawHandshake) {
        log.emit({ level: "info", message: line, stream: "stdout", raw: true });
        return;
      }
      try {
        const parsed = parseHandshakeLine(line, HOST_PROTOCOL_VERSIONS, opts.pluginName);
        if (parsed.kind === "stray") {
          log.emit({ level: "warn", message: `stdout before the handshake line (ignored): ${line}`, stream: "stdout", raw: true });
          return;
        }
        sawHandshake = true;
        resolve(parsed);
      } catch (err) {
        sawHandshake = true;
        reject(err);
      }
    });
  });
  handshakeLine.catch(() => undefined);

  let stderrEnded = false;
  const stderrEnd = new Promise<void>((resolve) => {
    if (!child.stderr) return resolve();
    child.stderr.once("end", () => { stderrEnded = true; resolve(); });
    child.stderr.once("close", () => { stderrEnded = true; resolve(); });
    createInterface({ input: child.stderr, crlfDelay: Infinity }).on("line", (line) => {
      stderrTail.push(line);
      const rec = parseLogLine(line);
      log.emit({ level: rec.level, message: rec.message, time: rec.time, fields: rec.fields, raw: rec.raw || undefined, stream: "stderr" });
    });
  });

  return {
    pid,
    stderrTail,
    exited,
    handshakeLine,
    stderrDrained: (maxWaitMs) =>
      stderrEnded ? Promise.resolve() : Promise.race([stderrEnd, new Promise<void>((r) => setTimeout(r, maxWaitMs).unref())]),
    closeStdin: () => {
      child.stdin?.end();
    },
  };
}
