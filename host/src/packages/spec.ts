// `namespace/name[@range]`: how users name a package on the command line.
import semver from "semver";
import { PackageError } from "./errors.js";

/** A package name and what versions of it are wanted. */
export interface PackageSpec {
  name: string;
  /** A semver range, an exact version, or a dist-tag; undefined means `latest`. */
  range?: string;
}

/** Package names: `<namespace>/<name>`, lowercase. */
export const PACKAGE_NAME = /^[a-z0-9][a-z0-9-]{0,63}\/[a-z0-9][a-z0-9._-]{0,127}$/;
/** Dist-tag names (`latest`, `next`). */
export const DIST_TAG = /^[a-z][a-z0-9._-]{0,63}$/;

/** Whether `text` could be a package spec (as opposed to a folder path). */
export function looksLikePackageSpec(text: string): boolean {
  return PACKAGE_NAME.test(text.split("@")[0] ?? "");
}

/**
 * Parses `acme/security`, `acme/security@^1.2`, `acme/security@next`.
 * Throws PackageError USAGE naming what is wrong.
 */
export function parsePackageSpec(text: string): PackageSpec {
  const at = text.indexOf("@");
  const name = at === -1 ? text : text.slice(0, at);
  const range = at === -1 ? undefined : text.slice(at + 1).trim();
  if (!PACKAGE_NAME.test(name)) {
    throw new PackageError("USAGE", `${JSON.stringify(text)} is not a package name: use <namespace>/<name>[@range], like acme/security@^1.2`);
  }
  if (range !== undefined) {
    if (range === "") throw new PackageError("USAGE", `${JSON.stringify(text)} has an empty version range after '@'`);
    if (semver.validRange(range) === null && !DIST_TAG.test(range)) {
      throw new PackageError("USAGE", `${JSON.stringify(range)} in ${JSON.stringify(text)} is neither a semver range (^1.2, ~1.2.3, >=1 <2, 1.2.3) nor a dist-tag (latest, next)`);
    }
  }
  return range === undefined ? { name } : { name, range };
}

/** `name` or `name@range`. */
export function formatSpec(spec: PackageSpec): string {
  return spec.range ? `${spec.name}@${spec.range}` : spec.name;
}
