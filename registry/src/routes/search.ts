import { RegistryError } from "../errors.js";
import type { PackageIndex } from "../model/index-types.js";
import { searchPackages } from "../model/search.js";
import { requireRead } from "../server/auth.js";
import { sendJson } from "../server/http-io.js";
import type { Route } from "../server/router.js";

/**
 * `GET /v1/search?q=text&step=security.hash&resource=vault&command=ping&handler=x&limit=20`:
 * text matches names, descriptions, keywords and capability names; `step`,
 * `resource`, `command`, `handler` (repeatable) filter by what a plugin provides.
 */
export const searchRoutes: Route[] = [
  {
    method: "GET",
    pattern: "/v1/search",
    async handle({ req, res, query, ctx }) {
      await requireRead(req, ctx);
      const limit = Number(query.get("limit") ?? "20");
      if (!Number.isInteger(limit) || limit < 1 || limit > 250) throw new RegistryError("REGISTRY_BAD_REQUEST", "limit must be an integer from 1 to 250");
      const keys = await ctx.storage.listDocuments("packages");
      const indexes = (await Promise.all(keys.map((k) => ctx.storage.readDocument<PackageIndex>(k)))).filter((x): x is PackageIndex => x !== null);
      const results = searchPackages(indexes, {
        text: query.get("q") ?? "",
        steps: query.getAll("step"),
        resources: query.getAll("resource"),
        commands: query.getAll("command"),
        handlers: query.getAll("handler"),
        limit,
      });
      sendJson(req, res, 200, { results, total: results.length });
    },
  },
];
