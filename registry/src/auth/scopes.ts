import { NAMESPACE_PATTERN, PACKAGE_PATTERN } from "../model/names.js";

/**
 * Token scopes:
 *
 * - `read`: read packages when the registry requires a token to read;
 * - `publish:<namespace>/*` or `publish:<namespace>/<name>`: upload archives
 *   and publish versions there, and yank, deprecate and tag them;
 * - `yank`: yank, un-yank and deprecate any version;
 * - `admin`: everything, including adding publisher keys to any namespace.
 *
 * Every scope that can write can also read.
 */
export type ScopeAction = "read" | "upload" | "publish" | "yank" | "tag" | "add-key" | "admin";

/** Why `scope` is not a valid scope string, or null when it is. */
export function invalidScopeReason(scope: string): string | null {
  if (scope === "read" || scope === "yank" || scope === "admin") return null;
  const m = /^publish:([^/]+)\/([^/]+)$/.exec(scope);
  if (!m) return `unknown scope ${JSON.stringify(scope)}: use read, yank, admin, publish:<namespace>/* or publish:<namespace>/<name>`;
  if (!NAMESPACE_PATTERN.test(m[1]!)) return `invalid namespace ${JSON.stringify(m[1])} in scope ${JSON.stringify(scope)}`;
  if (m[2] !== "*" && !PACKAGE_PATTERN.test(m[2]!)) return `invalid package name ${JSON.stringify(m[2])} in scope ${JSON.stringify(scope)}`;
  return null;
}

/**
 * Whether `scopes` allow `action`. Package actions (`publish`, `yank`, `tag`)
 * need `target` = `namespace/name`; `add-key` needs `target` = `namespace`.
 */
export function scopesAllow(scopes: readonly string[], action: ScopeAction, target?: string): boolean {
  if (scopes.includes("admin")) return true;
  const publishes = scopes.filter((s) => s.startsWith("publish:")).map((s) => s.slice("publish:".length));
  const coversPackage = (name: string): boolean =>
    publishes.some((p) => p === name || (p.endsWith("/*") && name.startsWith(p.slice(0, -1))));
  switch (action) {
    case "admin":
      return false;
    case "read":
      return scopes.length > 0;
    case "upload":
      return publishes.length > 0;
    case "publish":
    case "tag":
      return target !== undefined && coversPackage(target);
    case "yank":
      return scopes.includes("yank") || (target !== undefined && coversPackage(target));
    case "add-key":
      return target !== undefined && publishes.some((p) => p === `${target}/*`);
  }
}
