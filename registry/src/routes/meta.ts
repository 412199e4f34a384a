import { readFile } from "node:fs/promises";
import { RegistryError } from "../errors.js";
import { authenticate, requireRead } from "../server/auth.js";
import { sendJson } from "../server/http-io.js";
import type { Route } from "../server/router.js";

/** Discovery document, health, the registry's public key, and who a token is. */
export const metaRoutes: Route[] = [
  {
    method: "GET",
    pattern: "/v1",
    async handle({ req, res, ctx }) {
      sendJson(req, res, 200, {
        service: "fhub",
        apiVersion: 1,
        registryKey: { keyId: ctx.registryKey.keyId, algorithm: "ed25519", publicKey: ctx.registryKey.publicKey },
        limits: { maxUploadBytes: ctx.options.maxUploadBytes, maxUnpackedBytes: ctx.options.maxUnpackedBytes, maxEntries: ctx.options.maxEntries },
        requireReadToken: ctx.options.requireReadToken,
      });
    },
  },
  {
    method: "GET",
    pattern: "/v1/health",
    async handle({ req, res }) {
      sendJson(req, res, 200, { ok: true });
    },
  },
  {
    method: "GET",
    pattern: "/v1/keys",
    async handle({ req, res, ctx }) {
      await requireRead(req, ctx);
      sendJson(req, res, 200, { keys: [{ keyId: ctx.registryKey.keyId, algorithm: "ed25519", publicKey: ctx.registryKey.publicKey }] }, { "cache-control": "max-age=300" });
    },
  },
  {
    method: "GET",
    pattern: "/v1/openapi.yaml",
    async handle({ req, res }) {
      // the file ships at the package root, two levels above dist/routes/
      const text = await readFile(new URL("../../openapi.yaml", import.meta.url), "utf8");
      res.writeHead(200, { "content-type": "application/yaml; charset=utf-8", "content-length": Buffer.byteLength(text) });
      res.end(req.method === "HEAD" ? undefined : text);
    },
  },
  {
    method: "GET",
    pattern: "/v1/whoami",
    async handle({ req, res, ctx }) {
      const token = await authenticate(req, ctx);
      if (!token) throw new RegistryError("REGISTRY_UNAUTHORIZED", "no API token was sent", "pass --token TOKEN, or store one with `heddle-host login`");
      sendJson(req, res, 200, { id: token.id, name: token.name, scopes: token.scopes, createdAt: token.createdAt, expiresAt: token.expiresAt });
    },
  },
];
