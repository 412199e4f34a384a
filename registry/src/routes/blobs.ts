import { pipeline } from "node:stream/promises";
import { RegistryError } from "../errors.js";
import { requireRead } from "../server/auth.js";
import type { Route } from "../server/router.js";

/** Archive downloads by SHA-256. Blobs never change, so they are cacheable forever. */
export const blobRoutes: Route[] = [
  {
    method: "GET",
    pattern: "/v1/blobs/:sha256",
    async handle({ req, res, params, ctx }) {
      await requireRead(req, ctx);
      const [info, blob] = await Promise.all([ctx.storage.statBlob(params.sha256!), ctx.storage.openBlob(params.sha256!)]);
      if (!info || !blob) throw new RegistryError("BLOB_NOT_FOUND", `there is no archive with sha256 ${params.sha256}`);
      res.writeHead(200, {
        "content-type": "application/gzip",
        "content-length": blob.size,
        etag: `"${info.sha256}"`,
        "cache-control": "public, max-age=31536000, immutable",
        "x-heddle-integrity": info.integrity,
      });
      if (req.method === "HEAD") {
        blob.stream.destroy();
        res.end();
        return;
      }
      await pipeline(blob.stream, res);
    },
  },
];
