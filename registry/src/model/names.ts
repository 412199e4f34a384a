import semver from "semver";
import { RegistryError } from "../errors.js";

/** A namespace: lowercase letters, digits and dashes, starting with a letter or digit. */
export const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** A package name inside a namespace. */
export const PACKAGE_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/;
/** `any`, or `<os>-<arch>` in Node's names. */
export const PLATFORM_PATTERN = /^(any|[a-z0-9]+-[a-z0-9]+)$/;
/** A dist-tag: not something that could be read as a version or range. */
export const DIST_TAG_PATTERN = /^[a-z][a-z0-9._-]{0,63}$/;

/**
 * Checks `namespace` and `name` and returns the full `namespace/name`.
 * Throws RegistryError REGISTRY_BAD_REQUEST naming the part that is wrong.
 */
export function packageName(namespace: string, name: string): string {
  checkNamespace(namespace);
  if (!PACKAGE_PATTERN.test(name)) {
    throw new RegistryError("REGISTRY_BAD_REQUEST", `invalid package name ${JSON.stringify(name)}: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit`);
  }
  return `${namespace}/${name}`;
}

/** Throws RegistryError REGISTRY_BAD_REQUEST unless `namespace` is valid. */
export function checkNamespace(namespace: string): void {
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw new RegistryError("REGISTRY_BAD_REQUEST", `invalid namespace ${JSON.stringify(namespace)}: use lowercase letters, digits and '-', starting with a letter or digit`);
  }
}

/** Throws RegistryError REGISTRY_BAD_REQUEST unless `version` is a full, clean semver version. */
export function checkVersion(version: string): void {
  if (semver.valid(version) !== version) {
    throw new RegistryError("REGISTRY_BAD_REQUEST", `invalid version ${JSON.stringify(version)}: versions are semver, like 1.2.3 or 2.0.0-rc.1`);
  }
}

/** Throws RegistryError REGISTRY_BAD_REQUEST unless `tag` is a valid dist-tag name. */
export function checkDistTag(tag: string): void {
  if (!DIST_TAG_PATTERN.test(tag) || semver.validRange(tag) !== null) {
    throw new RegistryError("REGISTRY_BAD_REQUEST", `invalid dist-tag ${JSON.stringify(tag)}: use a word like latest or next (not a version or range)`);
  }
}
