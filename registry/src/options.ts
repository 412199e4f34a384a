import { join } from "node:path";
import { RegistryError } from "./errors.js";

/** How to run a registry server. Only `dataDir` is required. */
export interface RegistryOptions {
  /** Folder holding blobs, documents and the registry key. */
  dataDir: string;
  /** Interface to listen on; default 127.0.0.1 (a public registry sits behind a proxy). */
  host?: string;
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number;
  /** Largest accepted archive upload in bytes. Default 256 MiB. */
  maxUploadBytes?: number;
  /** Largest total unpacked size of an archive. Default 1 GiB. */
  maxUnpackedBytes?: number;
  /** Most entries in an archive. Default 100 000. */
  maxEntries?: number;
  /** Largest JSON request body. Default 1 MiB. */
  maxJsonBytes?: number;
  /** Require a token (any scope) to read packages. Default false: reads are public. */
  requireReadToken?: boolean;
  /** Where the registry private key lives. Default `<dataDir>/keys/registry-ed25519.pem`. */
  keyFile?: string;
  /** Log one line per request to stderr. Default true. */
  logRequests?: boolean;
}

/** {@link RegistryOptions} with every default filled in. */
export type ResolvedRegistryOptions = Required<RegistryOptions>;

/** Fills in defaults. */
export function resolveOptions(options: RegistryOptions): ResolvedRegistryOptions {
  return {
    dataDir: options.dataDir,
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 0,
    maxUploadBytes: options.maxUploadBytes ?? 256 * 1024 * 1024,
    maxUnpackedBytes: options.maxUnpackedBytes ?? 1024 * 1024 * 1024,
    maxEntries: options.maxEntries ?? 100_000,
    maxJsonBytes: options.maxJsonBytes ?? 1024 * 1024,
    requireReadToken: options.requireReadToken ?? false,
    keyFile: options.keyFile ?? join(options.dataDir, "keys", "registry-ed25519.pem"),
    logRequests: options.logRequests ?? true,
  };
}

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** Parses `1048576`, `100MB`, `512KiB`, `1GiB`. Throws RegistryError USAGE for anything else. */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new RegistryError("USAGE", `invalid size ${JSON.stringify(text)}`, "use a byte count or a size like 100MB, 512KiB, 1GiB");
  return Math.floor(Number(m[1]) * unit);
}

const DURATION_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/**
 * Parses a token lifetime into an expiry date from `now`: `30d`, `12h`,
 * `90m`, `2w`, `1y`, an ISO date, or `never` (null).
 * Throws RegistryError USAGE for anything else or a date in the past.
 */
export function parseExpiry(text: string, now = new Date()): Date | null {
  if (text === "never") return null;
  const m = /^(\d+)([mhdwy])$/.exec(text);
  if (m) return new Date(now.getTime() + Number(m[1]) * DURATION_UNITS[m[2]!]!);
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new RegistryError("USAGE", `invalid expiry ${JSON.stringify(text)}`, "use a lifetime like 30d, 12h, 1y, an ISO date, or never");
  if (at <= now.getTime()) throw new RegistryError("USAGE", `the expiry ${text} is in the past`);
  return new Date(at);
}
