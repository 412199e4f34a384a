import type { IncomingMessage, ServerResponse } from "node:http";
import { RegistryError } from "../errors.js";
import type { RegistryContext } from "./context.js";

/** One request, as a route handler sees it. */
export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** Decoded `:name` path segments. */
  params: Record<string, string>;
  query: URLSearchParams;
  ctx: RegistryContext;
}

/** An endpoint: method, a path pattern with `:param` segments, and its handler. */
export interface Route {
  method: "GET" | "HEAD" | "POST" | "PUT" | "DELETE";
  pattern: string;
  handle(request: RouteRequest): Promise<void>;
}

/**
 * Matches requests to routes. Patterns are split on `/`; a `:name` segment
 * matches one non-empty segment. A path that matches a pattern with another
 * method answers 405 instead of 404, so clients learn the path was right.
 */
export class Router {
  private readonly compiled: Array<{ route: Route; segments: string[] }>;

  constructor(routes: Route[]) {
    this.compiled = routes.map((route) => ({ route, segments: route.pattern.split("/").filter(Boolean) }));
  }

  /**
   * The route and params for a request. Throws RegistryError ROUTE_NOT_FOUND
   * or METHOD_NOT_ALLOWED, or REGISTRY_BAD_REQUEST for a badly escaped path.
   */
  match(method: string, pathname: string): { route: Route; params: Record<string, string> } {
    let segments: string[];
    try {
      segments = pathname.split("/").filter(Boolean).map((s) => decodeURIComponent(s));
    } catch {
      throw new RegistryError("REGISTRY_BAD_REQUEST", `badly escaped path ${pathname}`);
    }
    let pathMatched = false;
    const lookup = method === "HEAD" ? "GET" : method;
    for (const { route, segments: pattern } of this.compiled) {
      const params = matchSegments(pattern, segments);
      if (!params) continue;
      pathMatched = true;
      if (route.method === lookup) return { route, params };
    }
    if (pathMatched) throw new RegistryError("METHOD_NOT_ALLOWED", `${method} is not allowed on ${pathname}`, "see the OpenAPI document, registry/openapi.yaml");
    throw new RegistryError("ROUTE_NOT_FOUND", `no endpoint at ${pathname}`, "the API lives under /v1; see registry/openapi.yaml");
  }
}

function matchSegments(pattern: string[], path: string[]): Record<string, string> | null {
  if (pattern.length !== path.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(":")) params[p.slice(1)] = path[i]!;
    else if (p !== path[i]) return null;
  }
  return params;
}
