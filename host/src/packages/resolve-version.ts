// Picks the version to install from a package index: dist-tags, exact
// versions and semver ranges; yanked versions only when a lock file pins them.
import semver from "semver";
import { PackageError } from "./errors.js";
import type { RemotePackage, RemoteVersion } from "./registry-types.js";
import { DIST_TAG } from "./spec.js";

/**
 * The version of `pkg` that `range` selects. Without a range: the `latest`
 * dist-tag, or the highest version that is not yanked. `pinned` (from
 * heddle.lock) wins when it exists and satisfies the range, even if yanked.
 * Throws PackageError VERSION_NOT_FOUND (listing what exists) or
 * VERSION_YANKED (with the yank reason) when nothing fits.
 */
export function pickVersion(pkg: RemotePackage, range: string | undefined, pinned?: string): RemoteVersion {
  if (pinned && pkg.versions[pinned] && (range === undefined || satisfies(pkg, pinned, range))) return pkg.versions[pinned]!;
  const all = Object.values(pkg.versions);
  const live = all.filter((v) => !v.yanked);
  if (range === undefined || range === "latest") {
    const tagged = pkg.distTags.latest ? pkg.versions[pkg.distTags.latest] : undefined;
    if (tagged && !tagged.yanked) return tagged;
    const best = highest(live.filter((v) => !semver.prerelease(v.version))) ?? highest(live);
    if (best) return best;
    throw notFound(pkg, range ?? "latest", "every version is yanked");
  }
  if (semver.valid(range)) {
    const exact = pkg.versions[semver.clean(range)!];
    if (!exact) throw notFound(pkg, range);
    if (exact.yanked) {
      throw new PackageError("VERSION_YANKED", `${pkg.name}@${exact.version} was yanked${exact.yanked.reason ? `: ${exact.yanked.reason}` : ""}`, {
        hint: "pick another version; a yanked version installs only when heddle.lock already pins it",
      });
    }
    return exact;
  }
  if (semver.validRange(range) === null && DIST_TAG.test(range)) {
    const version = pkg.distTags[range];
    if (!version || !pkg.versions[version]) throw notFound(pkg, range, `there is no dist-tag ${range} (tags: ${Object.keys(pkg.distTags).join(", ") || "none"})`);
    const tagged = pkg.versions[version]!;
    if (tagged.yanked) throw new PackageError("VERSION_YANKED", `${pkg.name}@${range} points at ${version}, which was yanked${tagged.yanked.reason ? `: ${tagged.yanked.reason}` : ""}`);
    return tagged;
  }
  const best = semver.maxSatisfying(live.map((v) => v.version), range);
  if (best) return pkg.versions[best]!;
  const yankedMatch = semver.maxSatisfying(all.map((v) => v.version), range);
  throw notFound(pkg, range, yankedMatch ? `${yankedMatch} matches but was yanked` : undefined);
}

/** Whether `version` satisfies `range`, where `range` may also be a dist-tag. */
export function satisfies(pkg: RemotePackage | null, version: string, range: string): boolean {
  if (semver.validRange(range) !== null) return semver.satisfies(version, range, { includePrerelease: semver.prerelease(version) !== null && range.includes("-") });
  return pkg?.distTags[range] === version;
}

function highest(versions: RemoteVersion[]): RemoteVersion | undefined {
  return versions.sort((a, b) => semver.rcompare(a.version, b.version))[0];
}

function notFound(pkg: RemotePackage, range: string, why?: string): PackageError {
  const versions = semver.sort(Object.keys(pkg.versions));
  return new PackageError("VERSION_NOT_FOUND", `no version of ${pkg.name} matches ${range}${why ? ` (${why})` : ""}; versions: ${versions.join(", ") || "none"}`, {
    hint: `run \`heddle-host info ${pkg.name}\` to see every version and dist-tag`,
  });
}
