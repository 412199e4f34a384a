// $HEDDLE_HOME/config.json: the registries to use (in order; the first that
// has a package wins), their tokens, and the registry keys seen for them
// (trust on first use, like SSH known_hosts).
import { chmod, mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { PackageError } from "./errors.js";
import { configFile } from "./options.js";
import { writeFileAtomic } from "./atomic-file.js";

/** One configured registry. */
export interface RegistryEntry {
  name: string;
  /** Base URL without a trailing slash. */
  url: string;
  token?: string;
}

/** A registry signing key seen before, pinned by URL. */
export interface PinnedKey {
  keyId: string;
  publicKey: string;
  firstSeen: string;
}

/** The whole client config file. */
export interface ClientConfig {
  registries: RegistryEntry[];
  /** URL → pinned registry key. */
  registryKeys: Record<string, PinnedKey>;
}

/** Normalises a registry URL: scheme and host lowercased, no trailing slash. Throws PackageError USAGE if it is not http(s). */
export function normalizeRegistryUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PackageError("USAGE", `${JSON.stringify(url)} is not a URL`, { hint: "give the registry's base URL, like http://127.0.0.1:4873" });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new PackageError("USAGE", `registry URLs must be http or https, got ${url}`);
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, "")}`;
}

/** Reads the config (an empty one if the file does not exist). Throws PackageError USAGE if it is not valid JSON. */
export async function readClientConfig(): Promise<ClientConfig> {
  const file = configFile();
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { registries: [], registryKeys: {} };
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<ClientConfig>;
    return { registries: parsed.registries ?? [], registryKeys: parsed.registryKeys ?? {} };
  } catch (err) {
    throw new PackageError("USAGE", `${file} is not valid JSON: ${(err as Error).message}`, { hint: "fix or delete it" });
  }
}

/** Writes the config atomically with mode 0600 (it holds tokens). */
export async function writeClientConfig(config: ClientConfig): Promise<void> {
  const file = configFile();
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify(config, null, 2)}\n`, 0o600);
  await chmod(file, 0o600);
}

/** Reads, changes and writes the config. */
export async function updateClientConfig(change: (config: ClientConfig) => void): Promise<ClientConfig> {
  const config = await readClientConfig();
  change(config);
  await writeClientConfig(config);
  return config;
}

/**
 * The registries a command should use: just `explicit` when given (with the
 * configured token for that URL, unless `token` is given), else the configured
 * list, else `$HEDDLE_REGISTRY`. Throws PackageError USAGE when there is none.
 */
export async function registriesToUse(explicit?: string, token?: string): Promise<RegistryEntry[]> {
  const config = await readClientConfig();
  const url = explicit ?? (config.registries.length === 0 ? process.env.HEDDLE_REGISTRY : undefined);
  if (url) {
    const normalized = normalizeRegistryUrl(url);
    const known = config.registries.find((r) => r.url === normalized);
    const chosenToken = token ?? known?.token ?? process.env.HEDDLE_TOKEN;
    return [{ name: known?.name ?? normalized, url: normalized, ...(chosenToken ? { token: chosenToken } : {}) }];
  }
  if (config.registries.length === 0) {
    throw new PackageError("USAGE", "no registry is configured", { hint: "pass --registry URL, or add one with `heddle-host registry add URL`" });
  }
  return config.registries.map((r) => (token ? { ...r, token } : r));
}
