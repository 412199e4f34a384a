// Test plumbing for the package client: a real registry process on loopback,
// the real heddle-host CLI as a subprocess, throw-away HEDDLE_HOME and work
// folders, and small plugin folders written on the fly.
import { execa, type ResultPromise } from "execa";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../../../", import.meta.url));
export const HOST_BIN = join(REPO, "host", "bin", "heddle-host.js");
export const REGISTRY_BIN = join(REPO, "registry", "bin", "heddle-registry.js");

/** A running registry process. */
export interface TestRegistry {
  url: string;
  dataDir: string;
  child: ResultPromise;
  /** Creates a token with the real CLI. */
  token(scopes: string[], extra?: string[]): Promise<string>;
  /** Stops the server (idempotent). */
  stop(): Promise<void>;
}

/** Starts `heddle-registry serve --port 0` on a fresh data folder inside `root`. */
export async function startRegistry(root: string, args: string[] = []): Promise<TestRegistry> {
  const dataDir = join(root, `registry-data-${Math.random().toString(36).slice(2, 8)}`);
  const child = execa(process.execPath, [REGISTRY_BIN, "serve", "--port", "0", "--quiet", "--data", dataDir, ...args], { reject: false, buffer: false });
  const url = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const m = /^(http:\/\/\S+)\n/m.exec(text);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`registry exited (${code}) before printing its URL`)));
  });
  let stopped = false;
  return {
    url,
    dataDir,
    child,
    async token(scopes, extra = []) {
      const r = await execa(process.execPath, [REGISTRY_BIN, "token", "create", "--data", dataDir, ...scopes.flatMap((s) => ["--scope", s]), ...extra]);
      return r.stdout.trim();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      child.kill("SIGTERM");
      await child;
    },
  };
}

/** A throw-away HEDDLE_HOME and working folder, removed by `dispose`. */
export interface Sandbox {
  root: string;
  home: string;
  work: string;
  /** Runs `heddle-host ...args` with this HEDDLE_HOME, in `cwd` (default: work). */
  host(args: string[], options?: { cwd?: string; env?: Record<string, string> }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** Starts `heddle-host ...args` without waiting. */
  spawnHost(args: string[], options?: { cwd?: string }): ResultPromise;
  dispose(): Promise<void>;
}

/** Makes a sandbox under the OS temp folder. */
export async function makeSandbox(): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), "hh-pkg-"));
  const home = join(root, "home");
  const work = join(root, "work");
  await mkdir(work, { recursive: true });
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({ HEDDLE_HOME: home, HEDDLE_REGISTRY: "", ...extra });
  return {
    root,
    home,
    work,
    async host(args, options = {}) {
      const r = await execa(process.execPath, [HOST_BIN, ...args], { cwd: options.cwd ?? work, env: env(options.env), reject: false });
      return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    spawnHost(args, options = {}) {
      return execa(process.execPath, [HOST_BIN, ...args], { cwd: options.cwd ?? work, env: env(), reject: false });
    },
    async dispose() {
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * Writes a small plugin folder (runtime python, never started by these tests
 * unless they call it) with `provides` filled in so publish need not start it.
 */
export async function writePlugin(dir: string, manifest: Record<string, unknown>, files: Record<string, string | Buffer> = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  const full = {
    runtime: "python",
    entrypoint: "plugin.py",
    description: "test plugin",
    license: "Apache-2.0",
    provides: { namespace: "t", steps: ["noop"], resources: [], commands: [], handlers: [] },
    ...manifest,
  };
  await writeFile(join(dir, "heddle-plugin.json"), `${JSON.stringify(full, null, 2)}\n`);
  await writeFile(join(dir, "plugin.py"), "print('never started')\n");
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

/**
 * Publishes `dir` in this process (the library call behind `heddle-host
 * publish`) with `sandbox.home` as HEDDLE_HOME: used for test set-up, where
 * starting the CLI each time would only add seconds.
 */
export async function publishInProcess(sandbox: Sandbox, dir: string, registry: TestRegistry, token: string, options: { tag?: string } = {}): Promise<void> {
  const previous = process.env.HEDDLE_HOME;
  process.env.HEDDLE_HOME = sandbox.home;
  try {
    const { publishPlugin } = await import("../../src/packages/publish.js");
    await publishPlugin(dir, { registry: registry.url, token, quiet: true, describe: false, tag: options.tag, log: () => {} });
  } finally {
    if (previous === undefined) delete process.env.HEDDLE_HOME;
    else process.env.HEDDLE_HOME = previous;
    const { closeRegistryConnections } = await import("../../src/packages/http-agent.js");
    await closeRegistryConnections();
  }
}

/** The `error[CODE]` printed by a failed command, or null. */
export function errorCode(stderr: string): string | null {
  return /error\[([A-Z_]+)\]/.exec(stderr)?.[1] ?? null;
}
