// heddle-plugin.json: the file that tells the host how to start a plugin.
// Validated by hand so every error names the field and says what to write.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import semver from "semver";
import { ManifestError } from "../errors.js";

/** The file name the host looks for in a plugin folder. */
export const PLUGIN_JSON = "heddle-plugin.json";

/**
 * Languages/launchers the host knows how to start. `native` is a shared
 * library loaded into the host process (docs/in-process.md), not a process.
 */
export const RUNTIMES = ["python", "node", "go", "rust", "exec", "native"] as const;
/** One of RUNTIMES. */
export type Runtime = (typeof RUNTIMES)[number];

/** A validated heddle-plugin.json (format: host/README.md, schema: host/schema/heddle-plugin.schema.json). */
export interface PluginJson {
  name: string;
  version: string;
  runtime: Runtime;
  /** File (or, for go/rust, package/binary; for native, the library or its crate/module folder) to run, relative to the plugin folder. */
  entrypoint: string;
  description?: string;
  license?: string;
  /** Extra environment variables for the plugin process. */
  env?: Record<string, string>;
  /** Extra command-line arguments after the entrypoint. */
  args?: string[];
  /** Start deadline in ms (protocol §2.3). */
  startTimeoutMs?: number;
  /** Number of processes to start. */
  pool?: number;
  /** Protocol versions the plugin speaks, if it says. */
  protocolVersions?: number[];
  /** Every other key, kept as is (other tools may add their own fields). */
  [key: string]: unknown;
}

/** A plugin folder with its validated heddle-plugin.json. */
export interface PluginSource {
  dir: string;
  json: PluginJson;
}

const NAME_PATTERN = /^(@?[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

/** Reads and validates `<dir>/heddle-plugin.json`. Fails with MANIFEST_INVALID naming the file or field. */
export async function loadPluginJson(dir: string): Promise<PluginSource> {
  const absDir = resolve(dir);
  const file = join(absDir, PLUGIN_JSON);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    throw new ManifestError(
      missing ? `${file} does not exist` : `cannot read ${file}: ${(err as Error).message}`,
      { component: PLUGIN_JSON, cause: err, hint: `a plugin folder needs a ${PLUGIN_JSON} (format: host/README.md; \`heddle-host new\` writes one)` },
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(`${file} is not valid JSON: ${(err as Error).message}`, {
      component: PLUGIN_JSON, cause: err, hint: "fix the JSON syntax",
    });
  }
  return { dir: absDir, json: validatePluginJson(data, file) };
}

/** Validates parsed heddle-plugin.json content. `source` names the file in messages. Throws MANIFEST_INVALID. */
export function validatePluginJson(data: unknown, source = PLUGIN_JSON): PluginJson {
  const fail = (field: string, what: string): never => {
    throw new ManifestError(`${source}: field "${field}" ${what}`, {
      component: PLUGIN_JSON,
      field: "/" + field,
      hint: "fix heddle-plugin.json (format: host/README.md)",
    });
  };
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new ManifestError(`${source} must hold a JSON object`, { component: PLUGIN_JSON, hint: "fix heddle-plugin.json (format: host/README.md)" });
  }
  const obj = data as Record<string, unknown>;
  const requireString = (key: string): string => {
    const v = obj[key];
    if (v === undefined) return fail(key, "is required");
    if (typeof v !== "string" || v.trim() === "") return fail(key, `must be a non-empty string (got ${JSON.stringify(v)})`);
    return v;
  };
  const name = requireString("name");
  if (!NAME_PATTERN.test(name)) fail("name", `must be lower-case letters, digits, '.', '_' or '-' (optionally namespace/ as in acme/security), got ${JSON.stringify(name)}`);
  const version = requireString("version");
  if (!semver.valid(version)) fail("version", `must be a semantic version like 1.2.3, got ${JSON.stringify(version)}`);
  const runtime = requireString("runtime");
  if (!(RUNTIMES as readonly string[]).includes(runtime)) fail("runtime", `must be one of ${RUNTIMES.join(", ")}, got ${JSON.stringify(runtime)}`);
  requireString("entrypoint");

  for (const key of ["description", "license"]) {
    if (obj[key] !== undefined && typeof obj[key] !== "string") fail(key, "must be a string");
  }
  if (obj.env !== undefined) {
    if (typeof obj.env !== "object" || obj.env === null || Array.isArray(obj.env)) fail("env", "must be an object of string values");
    for (const [k, v] of Object.entries(obj.env as object)) {
      if (typeof v !== "string") fail(`env/${k}`, `must be a string (got ${JSON.stringify(v)})`);
    }
  }
  if (obj.args !== undefined) {
    if (!Array.isArray(obj.args)) fail("args", "must be an array of strings");
    (obj.args as unknown[]).forEach((a, i) => { if (typeof a !== "string") fail(`args/${i}`, "must be a string"); });
  }
  const positiveInt = (key: string, min: number) => {
    const v = obj[key];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= min)) fail(key, `must be an integer >= ${min} (got ${JSON.stringify(v)})`);
  };
  positiveInt("startTimeoutMs", 1);
  positiveInt("pool", 1);
  if (obj.protocolVersions !== undefined) {
    const pv = obj.protocolVersions;
    if (!Array.isArray(pv) || pv.length === 0) fail("protocolVersions", "must be a non-empty array of integers >= 1");
    (pv as unknown[]).forEach((v, i) => { if (!(Number.isInteger(v) && (v as number) >= 1)) fail(`protocolVersions/${i}`, "must be an integer >= 1"); });
  }
  return obj as PluginJson;
}
