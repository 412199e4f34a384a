import { RegistryError } from "../errors.js";
import { loadPackage, servedEntry, servedIndex, versionOf, blobUrl } from "../model/documents.js";
import { checkVersion, packageName } from "../model/names.js";
import { requireRead } from "../server/auth.js";
import { sendJson } from "../server/http-io.js";
import type { Route } from "../server/router.js";

/** Reading packages: the whole index, one version, and per-platform download redirects. */
export const packageRoutes: Route[] = [
  {
    method: "GET",
    pattern: "/v1/packages/:namespace/:name",
    async handle({ req, res, params, ctx }) {
      await requireRead(req, ctx);
      const index = await loadPackage(ctx.storage, packageName(params.namespace!, params.name!));
      sendJson(req, res, 200, servedIndex(index), { "cache-control": "no-cache" });
    },
  },
  {
    method: "GET",
    pattern: "/v1/packages/:namespace/:name/versions/:version",
    async handle({ req, res, params, ctx }) {
      await requireRead(req, ctx);
      checkVersion(params.version!);
      const index = await loadPackage(ctx.storage, packageName(params.namespace!, params.name!));
      sendJson(req, res, 200, servedEntry(versionOf(index, params.version!)), { "cache-control": "no-cache" });
    },
  },
  {
    method: "GET",
    pattern: "/v1/packages/:namespace/:name/versions/:version/download/:platform",
    async handle({ req, res, params, ctx }) {
      await requireRead(req, ctx);
      checkVersion(params.version!);
      const index = await loadPackage(ctx.storage, packageName(params.namespace!, params.name!));
      const entry = versionOf(index, params.version!);
      const artifact = entry.artifacts.find((a) => a.platform === params.platform) ?? entry.artifacts.find((a) => a.platform === "any");
      if (!artifact) {
        throw new RegistryError(
          "VERSION_NOT_FOUND",
          `${entry.name}@${entry.version} has no artifact for ${params.platform}; it has ${entry.artifacts.map((a) => a.platform).join(", ")}`,
        );
      }
      res.writeHead(302, { location: blobUrl(artifact.sha256), "x-heddle-integrity": artifact.integrity });
      res.end();
    },
  },
];
