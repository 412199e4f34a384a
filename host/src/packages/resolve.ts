// Turns a package reference (`acme/security`, `acme/security@^1.2`) into the
// folder of an installed version, so an installed plugin can be named
// wherever a plugin folder is accepted (`heddle-host call acme/security ...`).
import semver from "semver";
import { PackageError } from "./errors.js";
import { listInstalled } from "./installed.js";
import { lockFilePath, readLockFile } from "./lockfile.js";
import { heddleHome } from "./options.js";
import { looksLikePackageSpec, parsePackageSpec } from "./spec.js";
import { satisfies } from "./resolve-version.js";

/**
 * The absolute folder of the installed plugin `ref` (`name[@range]`), under
 * `$HEDDLE_HOME/plugins`. When `heddle.lock` in the current folder pins the
 * package, that version is used (and must satisfy the range); otherwise the
 * highest installed version that satisfies the range.
 * Throws PackageError USAGE when `ref` is neither a folder nor a package name,
 * and PLUGIN_NOT_INSTALLED (with the install command to run) when no
 * installed version fits.
 */
export async function resolveInstalledPlugin(ref: string): Promise<string> {
  if (!looksLikePackageSpec(ref)) {
    throw new PackageError("USAGE", `${JSON.stringify(ref)} is neither a plugin folder nor an installed package name`, {
      hint: "give the path of a folder holding heddle-plugin.json, or a package name like acme/security[@range]",
    });
  }
  const spec = parsePackageSpec(ref);
  const installed = await listInstalled(spec.name);
  const lock = await readLockFile(lockFilePath());
  const pinned = lock?.plugins[spec.name];
  if (pinned) {
    if (spec.range && !satisfies(null, pinned.version, spec.range)) {
      throw new PackageError("PLUGIN_NOT_INSTALLED", `heddle.lock pins ${spec.name}@${pinned.version}, which does not satisfy ${spec.range}`, {
        hint: `run \`heddle-host install ${ref}\` to install and pin a matching version`,
      });
    }
    const match = installed.find((i) => i.version === pinned.version);
    if (match) return match.dir;
    throw new PackageError("PLUGIN_NOT_INSTALLED", `heddle.lock pins ${spec.name}@${pinned.version}, but it is not installed in ${heddleHome()}`, {
      hint: "run `heddle-host install` to restore what heddle.lock pins",
    });
  }
  const candidates = installed.filter((i) => !spec.range || satisfies(null, i.version, spec.range) || (spec.range === "latest"));
  const best = candidates.sort((a, b) => semver.rcompare(a.version, b.version))[0];
  if (best) return best.dir;
  const have = installed.map((i) => i.version);
  throw new PackageError("PLUGIN_NOT_INSTALLED", `${ref} is not installed in ${heddleHome()}${have.length ? ` (installed versions: ${have.join(", ")})` : ""}`, {
    hint: `run \`heddle-host install ${ref}\` first`,
  });
}
