// registry add/list/remove/trust/serve, login/logout, key show/add: where
// packages come from and who may publish them.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { normalizeRegistryUrl, readClientConfig, registriesToUse, updateClientConfig } from "../../packages/client-config.js";
import { PackageError } from "../../packages/errors.js";
import { loadPublisherKey } from "../../packages/publisher-key.js";
import type { RegistryEntry } from "../../packages/client-config.js";
import type { RegistryClient } from "../../packages/registry-client.js";
import { keyAdditionPayload, keyPairFromPem, signPayload } from "../../packages/signing.js";
import { forgetTrustedKeys, trustedRegistryKey } from "../../packages/verify-release.js";
import { out, runPackageCommand } from "./pkg-run.js";

/** Adds `registry ...`, `login`, `logout` and `key ...`. */
export function registerRegistryCommands(program: Command): void {
  const registry = program.command("registry").description("the registries packages come from (the first that has a package wins)");
  registry
    .command("add <url>")
    .description("add a registry at the end of the list and pin its signing key")
    .option("--name <name>", "a short name for it")
    .option("--token <token>", "API token to use with it")
    .action((url: string, flags: { name?: string; token?: string }) =>
      runPackageCommand(async () => {
        const normalized = normalizeRegistryUrl(url);
        const key = await trustedRegistryKey(await clientFor({ name: normalized, url: normalized }));
        await updateClientConfig((config) => {
          const existing = config.registries.find((r) => r.url === normalized);
          if (existing) {
            if (flags.name) existing.name = flags.name;
            if (flags.token) existing.token = flags.token;
          } else config.registries.push({ name: flags.name ?? normalized, url: normalized, ...(flags.token ? { token: flags.token } : {}) });
        });
        out(`added ${normalized} (registry key ${key.keyId})`);
      }),
    );
  registry
    .command("list")
    .description("list registries in lookup order")
    .action(() =>
      runPackageCommand(async () => {
        const config = await readClientConfig();
        if (config.registries.length === 0) return out("no registries configured (heddle-host registry add URL)");
        config.registries.forEach((r, i) => out(`${i + 1}. ${r.name}\t${r.url}\t${r.token ? "token stored" : "no token"}\tkey ${config.registryKeys[r.url]?.keyId ?? "not pinned yet"}`));
      }),
    );
  registry
    .command("remove <url-or-name>")
    .description("remove a registry (and its stored token)")
    .action((which: string) =>
      runPackageCommand(async () => {
        let removed = 0;
        await updateClientConfig((config) => {
          const before = config.registries.length;
          config.registries = config.registries.filter((r) => r.name !== which && r.url !== which.replace(/\/+$/, ""));
          removed = before - config.registries.length;
        });
        if (removed === 0) throw new PackageError("USAGE", `no registry named ${which}`, { hint: "see `heddle-host registry list`" });
        out(`removed ${which}`);
      }),
    );
  registry
    .command("trust <url>")
    .description("forget the pinned signing key of a registry and pin the one it presents now (after a deliberate key rotation)")
    .action((url: string) =>
      runPackageCommand(async () => {
        const normalized = normalizeRegistryUrl(url);
        await updateClientConfig((config) => {
          delete config.registryKeys[normalized];
        });
        forgetTrustedKeys();
        const key = await trustedRegistryKey(await clientFor({ name: normalized, url: normalized }));
        out(`pinned registry key ${key.keyId} for ${normalized}`);
      }),
    );
  registry
    .command("serve")
    .description("run the Fhub registry service (same as heddle-registry serve)")
    .requiredOption("--data <dir>", "folder for packages, tokens and the registry key")
    .option("--port <n>", "TCP port (0 picks a free one)", "4873")
    .option("--host <address>", "interface to listen on", "127.0.0.1")
    .option("--max-upload-bytes <size>", "largest archive upload")
    .option("--require-read-token", "require a token to read")
    .option("--quiet", "no request log")
    .action((flags: Record<string, string | boolean | undefined>) => serveRegistry(flags));

  program
    .command("login")
    .description("store an API token for a registry (read from stdin when --token is not given)")
    .option("--registry <url>", "the registry (default: the first configured)")
    .option("--token <token>", "the token")
    .action((flags: { registry?: string; token?: string }) =>
      runPackageCommand(async () => {
        const [entry] = await registriesToUse(flags.registry);
        const token = flags.token ?? (await readLine("token: "));
        if (!token) throw new PackageError("USAGE", "no token given", { hint: "pass --token TOKEN or type it on stdin" });
        const client = await clientFor({ ...entry!, token });
        const who = await client.whoami();
        await trustedRegistryKey(client);
        await updateClientConfig((config) => {
          const existing = config.registries.find((r) => r.url === entry!.url);
          if (existing) existing.token = token;
          else config.registries.push({ name: entry!.url, url: entry!.url, token });
        });
        out(`logged in to ${entry!.url} as ${who.id}${who.name ? ` (${who.name})` : ""} with scopes ${who.scopes.join(", ")}`);
      }),
    );
  program
    .command("logout")
    .description("forget the stored token of a registry")
    .option("--registry <url>", "the registry (default: the first configured)")
    .action((flags: { registry?: string }) =>
      runPackageCommand(async () => {
        const [entry] = await registriesToUse(flags.registry);
        await updateClientConfig((config) => {
          for (const r of config.registries) if (r.url === entry!.url) delete r.token;
        });
        out(`logged out of ${entry!.url}`);
      }),
    );

  const key = program.command("key").description("publisher signing keys");
  key
    .command("show")
    .description("print your publisher key id and public key (created if missing)")
    .option("--key <file>", "key file (default: $HEDDLE_HOME/keys/publisher-ed25519.pem)")
    .action((flags: { key?: string }) =>
      runPackageCommand(async () => {
        const { key: pair, path } = await loadPublisherKey(flags.key);
        out(JSON.stringify({ keyId: pair.keyId, publicKey: pair.publicKey, file: path }));
      }),
    );
  key
    .command("add")
    .description("add another publisher key to a namespace, vouched for by a key it already has")
    .requiredOption("--namespace <ns>", "the namespace")
    .requiredOption("--new-key <file>", "PEM private key of the key to add (only its public half is sent)")
    .option("--key <file>", "an existing key of the namespace (default: your publisher key)")
    .option("--registry <url>", "the registry (default: the first configured)")
    .option("--token <token>", "API token with publish:<ns>/* (or admin)")
    .action((flags: { namespace: string; newKey: string; key?: string; registry?: string; token?: string }) =>
      runPackageCommand(async () => {
        const [entry] = await registriesToUse(flags.registry, flags.token);
        const added = keyPairFromPem(await readFile(flags.newKey, "utf8"));
        const { key: signer } = await loadPublisherKey(flags.key);
        const proof = { keyId: signer.keyId, signature: signPayload(signer.privateKeyPem, keyAdditionPayload(flags.namespace, added.publicKey)) };
        await (await clientFor(entry!)).json("POST", `/v1/namespaces/${encodeURIComponent(flags.namespace)}/keys`, { json: { publicKey: added.publicKey, proof } });
        out(`added key ${added.keyId} to ${flags.namespace}`);
      }),
    );
}

/** A client for `entry`, loading the HTTP client (undici) on first use. */
async function clientFor(entry: RegistryEntry): Promise<RegistryClient> {
  const { RegistryClient: Client } = await import("../../packages/registry-client.js");
  return new Client(entry);
}

async function serveRegistry(flags: Record<string, string | boolean | undefined>): Promise<void> {
  let bin: string;
  try {
    bin = join(dirname(createRequire(import.meta.url).resolve("@heddle/registry/package.json")), "bin", "heddle-registry.js");
  } catch {
    throw new PackageError("USAGE", "the registry service (@heddle/registry) is not installed next to heddle-host", { hint: "install @heddle/registry, or run heddle-registry serve" });
  }
  const args = [bin, "serve", "--data", String(flags.data), "--port", String(flags.port), "--host", String(flags.host)];
  if (flags.maxUploadBytes) args.push("--max-upload-bytes", String(flags.maxUploadBytes));
  if (flags.requireReadToken) args.push("--require-read-token");
  if (flags.quiet) args.push("--quiet");
  const child = spawn(process.execPath, args, { stdio: "inherit" });
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  const code = await new Promise<number>((resolve) => child.on("exit", (c, s) => resolve(c ?? (s ? 1 : 0))));
  process.exitCode = code;
}

async function readLine(prompt: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin });
  try {
    for await (const line of rl) return line.trim();
    return "";
  } finally {
    rl.close();
  }
}
