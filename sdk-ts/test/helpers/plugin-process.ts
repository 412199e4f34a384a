// Starts a plugin folder as a real process the way heddle-host does: esbuild
// transpiles plugin.ts to CommonJS in a temp folder, node runs it in the plugin
// folder with NODE_PATH at the repo's node_modules and the protocol's
// environment, in its own process group with stdin a pipe. Then it reads the
// handshake line and connects grpc-js clients over the Unix socket.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, makeClientConstructor, type Client } from "@grpc/grpc-js";
import { build } from "esbuild";
import { service as healthService } from "grpc-health-check";
import { ControllerServiceClient } from "../../src/gen/heddle/plugin/v1/controller.js";
import { PluginServiceClient } from "../../src/gen/heddle/plugin/v1/plugin.js";
import { HANDSHAKE_COOKIE } from "../../src/sdk/options.js";
import { NODE_MODULES } from "./paths.js";

/** How a plugin process exited. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The grpc.health.v1 client shape used by the tests. */
export interface HealthClient extends Client {
  check(request: { service: string }, callback: (err: Error | null, response: { status: string }) => void): void;
}

const HealthClientConstructor = makeClientConstructor(healthService, "grpc.health.v1.Health") as unknown as new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
) => HealthClient;

const GRPC_CLIENT_OPTIONS = { "grpc.max_receive_message_length": 64 * 1024 * 1024, "grpc.max_send_message_length": 64 * 1024 * 1024 };

const builtEntrypoints = new Map<string, Promise<{ dir: string; file: string }>>();

/** Transpiles `<pluginDir>/plugin.ts` once per test file into a temp folder. */
export function buildPlugin(pluginDir: string): Promise<{ dir: string; file: string }> {
  let built = builtEntrypoints.get(pluginDir);
  if (!built) {
    const dir = mkdtempSync(join(tmpdir(), "hsdk-build-"));
    const file = join(dir, "plugin.js");
    built = build({
      entryPoints: [join(pluginDir, "plugin.ts")],
      outfile: file,
      bundle: true,
      packages: "external",
      format: "cjs",
      platform: "node",
      target: "node20",
      logLevel: "silent",
    }).then(() => ({ dir, file }));
    builtEntrypoints.set(pluginDir, built);
  }
  return built;
}

/** Removes every build folder made by this test file. */
export async function removeBuilds(): Promise<void> {
  for (const built of builtEntrypoints.values()) rmSync((await built).dir, { recursive: true, force: true });
  builtEntrypoints.clear();
}

/** Environment overrides; `undefined` removes a variable. */
export type EnvOverrides = Record<string, string | undefined>;

function protocolEnv(pluginDir: string, socketPath: string, overrides: EnvOverrides): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_PATH: NODE_MODULES,
    HEDDLE_PLUGIN_COOKIE: HANDSHAKE_COOKIE,
    HEDDLE_PLUGIN_PROTOCOL_VERSIONS: "1",
    HEDDLE_PLUGIN_SOCKET: socketPath,
    HEDDLE_LOG_LEVEL: "info",
    HEDDLE_PLUGIN_NAME: "test-plugin",
    HEDDLE_PLUGIN_DIR: pluginDir,
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** A running plugin process with connected clients. */
export class PluginProcess {
  readonly stderrLines: string[] = [];
  readonly stdoutLines: string[] = [];
  readonly exited: Promise<ExitStatus>;
  plugin!: InstanceType<typeof PluginServiceClient>;
  controller!: InstanceType<typeof ControllerServiceClient>;
  health!: HealthClient;
  handshakeLine = "";
  private stderrWaiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];
  private exitStatus: ExitStatus | undefined;

  private constructor(
    readonly child: ChildProcess,
    readonly socketDir: string,
    readonly socketPath: string,
  ) {
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      }),
    );
    readLines(child.stderr!, (line) => {
      this.stderrLines.push(line);
      this.stderrWaiters = this.stderrWaiters.filter((waiter) => {
        if (!waiter.test(line)) return true;
        waiter.resolve(line);
        return false;
      });
    });
  }

  /** Starts the plugin and waits for its handshake line; rejects if it exits first. */
  static async start(pluginDir: string, overrides: EnvOverrides = {}): Promise<PluginProcess> {
    const { file } = await buildPlugin(pluginDir);
    const socketDir = mkdtempSync(join(tmpdir(), "hs-"));
    const socketPath = join(socketDir, "p.sock");
    const child = spawn(process.execPath, [file], {
      cwd: pluginDir,
      env: protocolEnv(pluginDir, socketPath, overrides),
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    const proc = new PluginProcess(child, socketDir, socketPath);
    let line: string;
    try {
      line = await new Promise<string>((resolve, reject) => {
        readLines(child.stdout!, (text) => {
          proc.stdoutLines.push(text);
          if (text.startsWith("HEDDLE|")) resolve(text);
        });
        void proc.exited.then((status) =>
          reject(new Error(`plugin exited before its handshake (${JSON.stringify(status)}): ${proc.stderrLines.slice(-10).join("\n")}`)),
        );
      });
    } catch (err) {
      await proc.dispose();
      throw err;
    }
    proc.handshakeLine = line;
    const address = `unix://${line.split("|")[4]}`;
    proc.plugin = new PluginServiceClient(address, credentials.createInsecure(), GRPC_CLIENT_OPTIONS);
    proc.controller = new ControllerServiceClient(address, credentials.createInsecure(), GRPC_CLIENT_OPTIONS);
    proc.health = new HealthClientConstructor(address, credentials.createInsecure());
    return proc;
  }

  /** Resolves with the first stderr line (already seen or future) matching `test`. */
  waitForStderr(test: (line: string) => boolean): Promise<string> {
    const seen = this.stderrLines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.stderrWaiters.push({ test, resolve }));
  }

  /** Parsed JSON log lines written so far (non-JSON lines skipped). */
  logRecords(): Array<{ level: string; message: string; time: string; fields?: Record<string, unknown> }> {
    return this.stderrLines.flatMap((line) => {
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    });
  }

  /** Closes the plugin's stdin, as a host that went away would. */
  closeStdin(): void {
    this.child.stdin!.end();
  }

  /** Closes the clients, kills the process group if it still runs, removes the socket folder. */
  async dispose(): Promise<void> {
    for (const client of [this.plugin, this.controller, this.health]) client?.close();
    if (!this.exitStatus && this.child.pid) {
      try {
        process.kill(-this.child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
      await this.exited;
    }
    rmSync(this.socketDir, { recursive: true, force: true });
  }
}

/** Runs the plugin to its exit (for start failures): status and stderr text. */
export async function runToExit(pluginDir: string, overrides: EnvOverrides): Promise<ExitStatus & { stderr: string; stdout: string }> {
  const { file } = await buildPlugin(pluginDir);
  const socketDir = mkdtempSync(join(tmpdir(), "hs-"));
  try {
    const child = spawn(process.execPath, [file], {
      cwd: pluginDir,
      env: protocolEnv(pluginDir, join(socketDir, "p.sock"), overrides),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    let stdout = "";
    child.stderr!.on("data", (data: Buffer) => (stderr += data.toString()));
    child.stdout!.on("data", (data: Buffer) => (stdout += data.toString()));
    const status = await new Promise<ExitStatus>((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));
    return { ...status, stderr, stdout };
  } finally {
    rmSync(socketDir, { recursive: true, force: true });
  }
}

function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = "";
  stream.setEncoding("utf8");
  stream.on("data", (data: string) => {
    buffered += data;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  });
}
