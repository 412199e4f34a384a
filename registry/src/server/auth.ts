import type { IncomingMessage } from "node:http";
import { scopesAllow, type ScopeAction } from "../auth/scopes.js";
import type { TokenRecord } from "../auth/tokens.js";
import { RegistryError } from "../errors.js";
import type { RegistryContext } from "./context.js";

/**
 * The token record of the request's `Authorization: Bearer <token>`, or null
 * when there is no such header. Throws RegistryError REGISTRY_UNAUTHORIZED for
 * a malformed header or an unknown, revoked or expired token.
 */
export async function authenticate(req: IncomingMessage, ctx: RegistryContext): Promise<TokenRecord | null> {
  const header = req.headers.authorization;
  if (!header) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw new RegistryError("REGISTRY_UNAUTHORIZED", "the Authorization header must be `Bearer <token>`");
  return ctx.tokens.authenticate(m[1]!);
}

/**
 * Requires a token whose scopes allow `action` on `target`. Throws
 * REGISTRY_UNAUTHORIZED without a token, REGISTRY_FORBIDDEN when the scopes
 * fall short (naming the scope that would do).
 */
export async function requireScope(req: IncomingMessage, ctx: RegistryContext, action: ScopeAction, target?: string): Promise<TokenRecord> {
  const token = await authenticate(req, ctx);
  if (!token) {
    throw new RegistryError("REGISTRY_UNAUTHORIZED", `${describeAction(action, target)} needs an API token`, "pass --token TOKEN, or store one with `heddle-host login`");
  }
  if (!scopesAllow(token.scopes, action, target)) {
    throw new RegistryError(
      "REGISTRY_FORBIDDEN",
      `the token ${token.id} (scopes: ${token.scopes.join(", ")}) may not ${describeAction(action, target)}`,
      `use a token with the scope ${neededScope(action, target)}`,
    );
  }
  return token;
}

/** Requires a `read`-capable token only when the registry was started with requireReadToken. */
export async function requireRead(req: IncomingMessage, ctx: RegistryContext): Promise<void> {
  if (ctx.options.requireReadToken) await requireScope(req, ctx, "read");
  else await authenticate(req, ctx); // a bad token is still an error, so typos surface early
}

function describeAction(action: ScopeAction, target?: string): string {
  switch (action) {
    case "read":
      return "reading this registry";
    case "upload":
    case "publish":
      return `publish ${target ?? "packages"}`;
    case "yank":
      return `yank or deprecate ${target}`;
    case "tag":
      return `change the dist-tags of ${target}`;
    case "add-key":
      return `add publisher keys to the namespace ${target}`;
    case "admin":
      return "do this";
  }
}

function neededScope(action: ScopeAction, target?: string): string {
  const ns = target?.split("/")[0] ?? "<namespace>";
  switch (action) {
    case "read":
      return "read";
    case "yank":
      return `yank or publish:${ns}/*`;
    case "admin":
      return "admin";
    default:
      return `publish:${ns}/*`;
  }
}
