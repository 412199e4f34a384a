import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { TokenStore } from "../auth/tokens.js";
import { loadOrCreateRegistryKey } from "../crypto/registry-key.js";
import { resolveOptions, type RegistryOptions } from "../options.js";
import { blobRoutes } from "../routes/blobs.js";
import { lifecycleRoutes } from "../routes/lifecycle.js";
import { metaRoutes } from "../routes/meta.js";
import { namespaceRoutes } from "../routes/namespaces.js";
import { packageRoutes } from "../routes/packages.js";
import { publishRoutes } from "../routes/publish.js";
import { searchRoutes } from "../routes/search.js";
import { FsStorage } from "../storage/fs-storage.js";
import type { RegistryStorage } from "../storage/storage.js";
import type { RegistryContext } from "./context.js";
import { sendError } from "./http-io.js";
import { Router } from "./router.js";

/** A registry server that is accepting requests. */
export interface RunningRegistry {
  /** Base URL, e.g. `http://127.0.0.1:4873` (no trailing slash). */
  url: string;
  port: number;
  server: Server;
  context: RegistryContext;
  /** Stops accepting, closes idle and active connections, and resolves when the server is closed. */
  close(): Promise<void>;
}

/**
 * Starts the registry on node:http and resolves once it accepts requests.
 * `storage` defaults to {@link FsStorage} on `options.dataDir`.
 * Rejects with the listen error (e.g. EADDRINUSE) or a key-loading error.
 */
export async function startRegistry(options: RegistryOptions, storage?: RegistryStorage): Promise<RunningRegistry> {
  const resolved = resolveOptions(options);
  const context: RegistryContext = {
    storage: storage ?? new FsStorage(resolved.dataDir),
    tokens: undefined as unknown as TokenStore,
    registryKey: await loadOrCreateRegistryKey(resolved.keyFile),
    options: resolved,
  };
  context.tokens = new TokenStore(context.storage);
  const router = new Router([...metaRoutes, ...packageRoutes, ...blobRoutes, ...publishRoutes, ...lifecycleRoutes, ...namespaceRoutes, ...searchRoutes]);

  const server = createServer((req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? "/", "http://registry.invalid");
    if (resolved.logRequests) {
      res.on("finish", () => {
        process.stderr.write(`${req.method} ${url.pathname} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms\n`);
      });
    }
    void (async () => {
      try {
        const { route, params } = router.match(req.method ?? "GET", url.pathname);
        await route.handle({ req, res, params, query: url.searchParams, ctx: context });
      } catch (err) {
        sendError(req, res, err);
      }
    })();
  });
  // uploads of large archives over slow links must not be cut by the default 5 min request timeout
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    server,
    context,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
