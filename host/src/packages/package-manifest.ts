// heddle-plugin.json read as a package manifest: the host's plugin fields plus
// the packaging ones (namespace/name, artifacts per platform, python
// requirements, provides), validated against package-manifest.schema.json.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PackageError } from "./errors.js";
import { checkJsonSchema } from "./json-schema-check.js";
import { unsafePathReason } from "./archive-rules.js";

/** The manifest file name, at the root of a plugin folder and of every archive. */
export const MANIFEST_FILE = "heddle-plugin.json";

/** One platform-specific archive declared by the manifest. */
export interface ArtifactSpec {
  os: string;
  arch: string;
  entrypoint?: string;
  files?: string[];
}

/** Capability names a plugin declares, for search. */
export interface Provides {
  namespace?: string;
  steps?: string[];
  resources?: string[];
  commands?: string[];
  handlers?: string[];
}

/** A validated package manifest. Unknown keys are kept. */
export interface PackageManifest {
  name: string;
  version: string;
  runtime: "python" | "node" | "go" | "rust" | "exec";
  entrypoint: string;
  description?: string;
  license?: string;
  keywords?: string[];
  protocolVersions?: number[];
  artifacts?: ArtifactSpec[];
  python?: { requirements?: string[] };
  provides?: Provides;
  [key: string]: unknown;
}

/** A platform to pack for: `any`, or `<os>-<arch>`. */
export interface PlatformTarget {
  platform: string;
  os: string;
  arch: string;
  /** Entrypoint inside this platform's archive. */
  entrypoint: string;
  /** Paths only this platform's archive holds. */
  files: string[];
}

// The schema ships as a JSON file next to this module's source (it is also
// documentation); read from src/ because tsc copies only imported JSON.
const SCHEMA_PATH = fileURLToPath(new URL("../../src/packages/package-manifest.schema.json", import.meta.url));
let schemaCache: Record<string, unknown> | undefined;

function schema(): Record<string, unknown> {
  schemaCache ??= JSON.parse(readFileSync(SCHEMA_PATH, "utf8")) as Record<string, unknown>;
  return schemaCache;
}

/**
 * Reads `<dir>/heddle-plugin.json` as a package manifest. Throws PackageError
 * MANIFEST_INVALID listing every problem, each with its JSON pointer.
 */
export async function readPackageManifest(dir: string): Promise<PackageManifest> {
  const file = join(resolve(dir), MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new PackageError("MANIFEST_INVALID", `cannot read ${file}: ${(err as Error).message}`, {
      component: MANIFEST_FILE,
      hint: "a plugin folder needs a heddle-plugin.json (`heddle-host new` writes one)",
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new PackageError("MANIFEST_INVALID", `${file} is not valid JSON: ${(err as Error).message}`, { component: MANIFEST_FILE, hint: "fix the JSON syntax" });
  }
  return validatePackageManifest(data, file);
}

/**
 * Validates parsed manifest content; `source` names it in the message.
 * Throws PackageError MANIFEST_INVALID listing every problem.
 */
export function validatePackageManifest(data: unknown, source = MANIFEST_FILE): PackageManifest {
  const problems = checkJsonSchema(data, schema());
  if (problems.length === 0) {
    const manifest = data as PackageManifest;
    const seen = new Set<string>();
    (manifest.artifacts ?? []).forEach((a, i) => {
      const platform = platformName(a.os, a.arch);
      if ((a.os === "any") !== (a.arch === "any")) problems.push({ pointer: `/artifacts/${i}`, message: "os and arch must both be any, or both name a platform" });
      if (seen.has(platform)) problems.push({ pointer: `/artifacts/${i}`, message: `the platform ${platform} is listed twice` });
      seen.add(platform);
      (a.files ?? []).forEach((f, j) => {
        const reason = unsafePathReason(f);
        if (reason) problems.push({ pointer: `/artifacts/${i}/files/${j}`, message: `${JSON.stringify(f)} ${reason}` });
      });
    });
  }
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new PackageError(
      "MANIFEST_INVALID",
      `${source} is not a valid package manifest:\n${problems.map((p) => `  ${p.pointer || "(document)"}: ${p.message}`).join("\n")}`,
      { component: MANIFEST_FILE, field: first.pointer || undefined, hint: "fix heddle-plugin.json (schema: host/src/packages/package-manifest.schema.json)" },
    );
  }
  return data as PackageManifest;
}

/** How the package's full name is decided. */
export interface NameOverrides {
  /** Full `<namespace>/<name>`, replacing the manifest's. */
  name?: string;
  /** Namespace for a manifest whose name has none. */
  namespace?: string;
}

const FULL_NAME = /^[a-z0-9][a-z0-9-]{0,63}\/[a-z0-9][a-z0-9._-]{0,127}$/;
const NAMESPACE = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * The package's `<namespace>/<name>`: `overrides.name`, else the manifest's
 * name when it has a namespace, else `overrides.namespace` + `/` + the name.
 * Throws PackageError MANIFEST_INVALID (no namespace anywhere) or USAGE (a
 * malformed override).
 */
export function packageNameOf(manifest: PackageManifest, overrides: NameOverrides = {}): string {
  if (overrides.name !== undefined) {
    if (!FULL_NAME.test(overrides.name)) throw new PackageError("USAGE", `--name ${JSON.stringify(overrides.name)} must be <namespace>/<name>, like acme/security`);
    return overrides.name;
  }
  if (manifest.name.includes("/")) return manifest.name;
  if (overrides.namespace !== undefined) {
    if (!NAMESPACE.test(overrides.namespace)) throw new PackageError("USAGE", `--namespace ${JSON.stringify(overrides.namespace)} must be lowercase letters, digits and '-'`);
    return `${overrides.namespace}/${manifest.name}`;
  }
  throw new PackageError("MANIFEST_INVALID", `the package name ${JSON.stringify(manifest.name)} has no namespace`, {
    component: MANIFEST_FILE,
    field: "/name",
    hint: `write "name": "<namespace>/${manifest.name}" in heddle-plugin.json, or pass --namespace (publish also takes it from a token scoped to one namespace)`,
  });
}

/** Whether an archive's manifest name fits the package name (the full name, or the bare name part when the author wrote none). */
export function archiveNameMatches(archivedName: unknown, packageName: string): boolean {
  return archivedName === packageName || archivedName === packageName.split("/")[1];
}

/** `any` or `<os>-<arch>`. */
export function platformName(os: string, arch: string): string {
  return os === "any" && arch === "any" ? "any" : `${os}-${arch}`;
}

/** The platform this process runs on, in package terms (e.g. `linux-x64`). */
export function currentPlatform(): string {
  return platformName(process.platform, process.arch);
}

/** The archives a manifest asks for: its `artifacts`, or one `any` archive. */
export function platformTargets(manifest: PackageManifest): PlatformTarget[] {
  if (!manifest.artifacts || manifest.artifacts.length === 0) {
    return [{ platform: "any", os: "any", arch: "any", entrypoint: manifest.entrypoint, files: [] }];
  }
  return manifest.artifacts
    .map((a) => ({ platform: platformName(a.os, a.arch), os: a.os, arch: a.arch, entrypoint: a.entrypoint ?? manifest.entrypoint, files: a.files ?? [] }))
    .sort((a, b) => (a.platform < b.platform ? -1 : a.platform > b.platform ? 1 : 0));
}
