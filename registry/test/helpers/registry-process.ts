// Starts the real `heddle-registry serve` CLI on a random loopback port and
// stops it; makes tokens with the real `heddle-registry token create`.
import { execa, type ResultPromise } from "execa";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REGISTRY_BIN = fileURLToPath(new URL("../../bin/heddle-registry.js", import.meta.url));

export interface RegistryProcess {
  url: string;
  dataDir: string;
  process: ResultPromise;
  stop(): Promise<void>;
}

/** Starts a registry on `dataDir` (a fresh temp folder by default) and waits for the URL line. */
export async function startRegistryProcess(options: { dataDir?: string; args?: string[] } = {}): Promise<RegistryProcess> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "fhub-test-")));
  const child = execa(process.execPath, [REGISTRY_BIN, "serve", "--port", "0", "--quiet", "--data", dataDir, ...(options.args ?? [])], { reject: false, buffer: false });
  const url = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const m = /^(http:\/\/\S+)\n/m.exec(text);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`registry exited with ${code} before printing its URL`)));
  });
  let stopped = false;
  return {
    url,
    dataDir,
    process: child,
    async stop() {
      if (stopped) return;
      stopped = true;
      child.kill("SIGTERM");
      await child;
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates a token with the CLI; returns it. */
export async function createToken(dataDir: string, scopes: string[], extra: string[] = []): Promise<string> {
  const result = await execa(process.execPath, [REGISTRY_BIN, "token", "create", "--data", dataDir, ...scopes.flatMap((s) => ["--scope", s]), ...extra]);
  return result.stdout.trim();
}
