import semver from "semver";
import type { PackageIndex, VersionEntry } from "./index-types.js";

/** What to look for. Capability lists are ANDed; text terms must each match somewhere. */
export interface SearchQuery {
  text: string;
  steps: string[];
  resources: string[];
  commands: string[];
  handlers: string[];
  limit: number;
}

/** One search hit: the package's current version and what it provides. */
export interface SearchHit {
  name: string;
  version: string;
  description: string;
  provides: Provides;
  deprecated: string | null;
  score: number;
}

/** The capabilities a plugin declares in its manifest's `provides`. */
export interface Provides {
  namespace?: string;
  steps: string[];
  resources: string[];
  commands: string[];
  handlers: string[];
}

/**
 * Ranks packages for a query. The version looked at is `latest` unless it is
 * yanked, else the highest version that is not. Packages whose versions are
 * all yanked never match.
 */
export function searchPackages(indexes: PackageIndex[], query: SearchQuery): SearchHit[] {
  const terms = query.text.toLowerCase().split(/\s+/).filter(Boolean);
  const hits: SearchHit[] = [];
  for (const index of indexes) {
    const entry = currentVersion(index);
    if (!entry) continue;
    const provides = providesOf(entry.manifest);
    if (!hasAll(provides, provides.steps, query.steps) || !hasAll(provides, provides.resources, query.resources)) continue;
    if (!hasAll(provides, provides.commands, query.commands) || !hasAll(provides, provides.handlers, query.handlers)) continue;
    const description = typeof entry.manifest.description === "string" ? entry.manifest.description : "";
    const keywords = Array.isArray(entry.manifest.keywords) ? entry.manifest.keywords.map(String) : [];
    let score = 0;
    let allTermsMatch = true;
    for (const term of terms) {
      const s = termScore(term, index.name, description, keywords, provides);
      if (s === 0) allTermsMatch = false;
      score += s;
    }
    if (!allTermsMatch) continue;
    hits.push({ name: index.name, version: entry.version, description, provides, deprecated: entry.deprecated, score: terms.length === 0 ? 1 : score });
  }
  hits.sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : 1));
  return hits.slice(0, query.limit);
}

/** The version a search or a plain install looks at. */
export function currentVersion(index: PackageIndex): VersionEntry | null {
  const tagged = index.distTags.latest ? index.versions[index.distTags.latest] : undefined;
  if (tagged && !tagged.yanked) return tagged;
  const live = Object.values(index.versions).filter((v) => !v.yanked);
  const best = semver.rsort(live.map((v) => v.version))[0];
  return best ? index.versions[best]! : null;
}

/** Reads `provides` from a manifest, tolerating absent or partial lists. */
export function providesOf(manifest: Record<string, unknown>): Provides {
  const raw = (manifest.provides ?? {}) as Record<string, unknown>;
  const list = (v: unknown): string[] =>
    Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : String((x as { name?: unknown })?.name ?? ""))).filter(Boolean) : [];
  return {
    ...(typeof raw.namespace === "string" ? { namespace: raw.namespace } : {}),
    steps: list(raw.steps),
    resources: list(raw.resources),
    commands: list(raw.commands),
    handlers: list(raw.handlers),
  };
}

function hasAll(provides: Provides, have: string[], wanted: string[]): boolean {
  const names = new Set(have.flatMap((n) => [n.toLowerCase(), provides.namespace ? `${provides.namespace}.${n}`.toLowerCase() : n.toLowerCase()]));
  return wanted.every((w) => names.has(w.toLowerCase()));
}

function termScore(term: string, name: string, description: string, keywords: string[], provides: Provides): number {
  let score = 0;
  const short = name.split("/")[1] ?? name;
  if (short === term || name === term) score += 10;
  else if (name.includes(term)) score += 5;
  if (keywords.some((k) => k.toLowerCase() === term)) score += 4;
  const capabilities = [...provides.steps, ...provides.resources, ...provides.commands, ...provides.handlers];
  if (capabilities.some((c) => c.toLowerCase().includes(term))) score += 3;
  if (description.toLowerCase().includes(term)) score += 2;
  return score;
}
