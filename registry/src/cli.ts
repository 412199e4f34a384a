import { Command, Option } from "commander";
import { TokenStore } from "./auth/tokens.js";
import { loadOrCreateRegistryKey } from "./crypto/registry-key.js";
import { RegistryError, isRegistryError } from "./errors.js";
import { parseByteSize, parseExpiry, resolveOptions } from "./options.js";
import { startRegistry } from "./server/server.js";
import { FsStorage } from "./storage/fs-storage.js";

/** Runs the `heddle-registry` CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command("heddle-registry")
    .description("Fhub: the Heddle plugin registry service")
    .showHelpAfterError()
    .exitOverride();

  program
    .command("serve")
    .description("serve the registry over HTTP; prints its URL once it accepts requests")
    .requiredOption("--data <dir>", "folder for packages, tokens and the registry key (created if missing)")
    .option("--port <n>", "TCP port (0 picks a free one)", "4873")
    .option("--host <address>", "interface to listen on", "127.0.0.1")
    .option("--max-upload-bytes <size>", "largest archive upload, e.g. 256MiB")
    .option("--max-unpacked-bytes <size>", "largest unpacked archive, e.g. 1GiB")
    .option("--require-read-token", "require a token to read packages (private registry)")
    .option("--quiet", "do not log one line per request on stderr")
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RegistryError("USAGE", `invalid --port ${String(opts.port)}`, "use a number from 0 to 65535");
      const running = await startRegistry({
        dataDir: String(opts.data),
        host: String(opts.host),
        port,
        ...(opts.maxUploadBytes ? { maxUploadBytes: parseByteSize(String(opts.maxUploadBytes)) } : {}),
        ...(opts.maxUnpackedBytes ? { maxUnpackedBytes: parseByteSize(String(opts.maxUnpackedBytes)) } : {}),
        requireReadToken: Boolean(opts.requireReadToken),
        logRequests: !opts.quiet,
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === "EADDRINUSE") throw new RegistryError("USAGE", `port ${port} on ${String(opts.host)} is already in use`, "pick another --port, or --port 0 for a free one");
        if (err.code === "EACCES") throw new RegistryError("USAGE", `not allowed to listen on port ${port}`, "use a port above 1023");
        throw err;
      });
      process.stdout.write(`${running.url}\n`);
      process.stderr.write(`fhub registry serving ${resolveOptions({ dataDir: String(opts.data) }).dataDir} at ${running.url} (key ${running.context.registryKey.keyId})\n`);
      await new Promise<void>((resolve) => {
        let stopping = false;
        // SIGINT and SIGTERM may both arrive (a terminal's Ctrl-C plus a supervisor): close once.
        const stop = (): void => {
          if (stopping) return;
          stopping = true;
          void running.close().finally(resolve);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });

  const token = program.command("token").description("manage API tokens (stored only as hashes)");
  token
    .command("create")
    .description("create a token and print it (it is shown only once)")
    .requiredOption("--data <dir>", "the registry's data folder")
    .addOption(new Option("--scope <scope>", "read | yank | admin | publish:<namespace>/* | publish:<namespace>/<name> (repeatable)").argParser(collect).default([] as string[]))
    .option("--name <name>", "a label to recognise the token by")
    .option("--expires <when>", "lifetime (30d, 12h, 1y), an ISO date, or never", "90d")
    .action(async (opts: { data: string; scope: string[]; name?: string; expires: string }) => {
      const store = new TokenStore(new FsStorage(opts.data));
      const { token: secret, record } = await store.create({ scopes: opts.scope, name: opts.name, expiresAt: parseExpiry(opts.expires) });
      process.stdout.write(`${secret}\n`);
      process.stderr.write(`created ${record.id} with scopes ${record.scopes.join(", ")}, expires ${record.expiresAt ?? "never"}\n`);
    });
  token
    .command("list")
    .description("list tokens (ids, scopes, expiry; never the tokens)")
    .requiredOption("--data <dir>", "the registry's data folder")
    .action(async (opts: { data: string }) => {
      const records = await new TokenStore(new FsStorage(opts.data)).list();
      for (const r of records) {
        const state = r.revokedAt ? "revoked" : r.expiresAt && Date.parse(r.expiresAt) <= Date.now() ? "expired" : "active";
        process.stdout.write(`${r.id}\t${state}\t${r.scopes.join(",")}\t${r.expiresAt ?? "never"}\t${r.name}\n`);
      }
    });
  token
    .command("revoke <id>")
    .description("revoke a token by id")
    .requiredOption("--data <dir>", "the registry's data folder")
    .action(async (id: string, opts: { data: string }) => {
      const record = await new TokenStore(new FsStorage(opts.data)).revoke(id);
      process.stdout.write(`revoked ${record.id}\n`);
    });

  program
    .command("key")
    .description("print the registry's public signing key (created on first use)")
    .requiredOption("--data <dir>", "the registry's data folder")
    .action(async (opts: { data: string }) => {
      const key = await loadOrCreateRegistryKey(resolveOptions({ dataDir: opts.data }).keyFile);
      process.stdout.write(`${JSON.stringify({ keyId: key.keyId, algorithm: "ed25519", publicKey: key.publicKey })}\n`);
    });

  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
    if (typeof e.code === "string" && e.code.startsWith("commander.")) return 2;
    if (isRegistryError(err)) {
      process.stderr.write(`error[${err.code}] ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ""}`);
      return err.code === "USAGE" ? 2 : 1;
    }
    process.stderr.write(`error[INTERNAL] ${(err as Error).message}\n`);
    return 1;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
