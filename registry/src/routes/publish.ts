import { RegistryError } from "../errors.js";
import { servedEntry } from "../model/documents.js";
import { checkVersion, packageName } from "../model/names.js";
import { publishVersion } from "../model/publish-version.js";
import { validateReleaseRequest } from "../model/validate-release.js";
import { requireScope } from "../server/auth.js";
import { readJsonBody, sendJson } from "../server/http-io.js";
import type { Route } from "../server/router.js";

/**
 * Publishing in two steps, like an OCI registry: stream each archive to
 * `uploads` (raw bytes, never base64 in JSON), then create the version with a
 * small signed JSON document naming the uploaded archives by hash.
 */
export const publishRoutes: Route[] = [
  {
    method: "POST",
    pattern: "/v1/packages/:namespace/:name/uploads",
    async handle({ req, res, params, ctx }) {
      const name = packageName(params.namespace!, params.name!);
      await requireScope(req, ctx, "publish", name);
      const declared = Number(req.headers["content-length"] ?? "NaN");
      if (declared > ctx.options.maxUploadBytes) {
        throw new RegistryError("PACKAGE_TOO_LARGE", `the upload (${declared} bytes) is larger than this registry's limit of ${ctx.options.maxUploadBytes} bytes`, "make the package smaller, or ask the registry operator to raise --max-upload-bytes");
      }
      const info = await ctx.storage.putBlob(req, ctx.options.maxUploadBytes);
      const expected = req.headers["x-heddle-integrity"];
      if (typeof expected === "string" && expected !== info.integrity) {
        throw new RegistryError("INTEGRITY_MISMATCH", `the upload arrived with ${info.integrity}, but the client sent ${expected}`, "the upload was corrupted on the way; publish again");
      }
      sendJson(req, res, 201, info);
    },
  },
  {
    method: "PUT",
    pattern: "/v1/packages/:namespace/:name/versions/:version",
    async handle({ req, res, params, ctx }) {
      const name = packageName(params.namespace!, params.name!);
      checkVersion(params.version!);
      await requireScope(req, ctx, "publish", name);
      const body = await readJsonBody(req, ctx.options.maxJsonBytes);
      const release = validateReleaseRequest(body, name, params.version!);
      const entry = await publishVersion(ctx, name, params.version!, release);
      sendJson(req, res, 201, servedEntry(entry));
    },
  },
];
