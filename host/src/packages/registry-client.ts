// HTTP client for one Fhub registry, on undici. Turns every failure into a
// PackageError with a stable code: the registry's own error code when it sent
// one, REGISTRY_UNREACHABLE when it could not be reached.
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { Agent, request, type Dispatcher } from "undici";
import type { RegistryEntry } from "./client-config.js";
import { PackageError, type PackageErrorCode } from "./errors.js";
import { sharedAgent } from "./http-agent.js";
import type { RegistryDiscovery, RemoteNamespace, RemotePackage, RemoteVersion, SearchResult } from "./registry-types.js";

function agent(): Agent {
  return sharedAgent(() => new Agent({ headersTimeout: 30_000, bodyTimeout: 60_000, connectTimeout: 10_000 }));
}

/** Codes the registry may send that mean the same thing to the client. */
const PASSTHROUGH_CODES = new Set<PackageErrorCode>([
  "REGISTRY_UNAUTHORIZED",
  "REGISTRY_FORBIDDEN",
  "PACKAGE_NOT_FOUND",
  "VERSION_NOT_FOUND",
  "VERSION_EXISTS",
  "INTEGRITY_MISMATCH",
  "SIGNATURE_INVALID",
  "SIGNATURE_UNKNOWN_KEY",
  "UNSAFE_ARCHIVE",
  "PACKAGE_TOO_LARGE",
  "MANIFEST_INVALID",
  "USAGE",
]);

/** A streamed download: the body and its announced length. */
export interface DownloadStream {
  body: Readable;
  size: number;
}

/** Talks to one registry. Every method throws PackageError. */
export class RegistryClient {
  constructor(readonly entry: RegistryEntry) {}

  /** `GET /v1`. */
  discovery(): Promise<RegistryDiscovery> {
    return this.json("GET", "/v1");
  }

  /** `GET /v1/whoami` with the token. */
  whoami(): Promise<{ id: string; name: string; scopes: string[]; expiresAt: string | null }> {
    return this.json("GET", "/v1/whoami");
  }

  /** The package index, or null when this registry does not have the package. */
  async getPackage(name: string): Promise<RemotePackage | null> {
    try {
      return await this.json<RemotePackage>("GET", `/v1/packages/${encodeName(name)}`);
    } catch (err) {
      if (err instanceof PackageError && err.packageCode === "PACKAGE_NOT_FOUND") return null;
      throw err;
    }
  }

  /** The namespace record, or null when the namespace does not exist. */
  async getNamespace(namespace: string): Promise<RemoteNamespace | null> {
    try {
      return await this.json<RemoteNamespace>("GET", `/v1/namespaces/${encodeURIComponent(namespace)}`);
    } catch (err) {
      if (err instanceof PackageError && err.message.includes("NAMESPACE_NOT_FOUND")) return null;
      throw err;
    }
  }

  /** `GET /v1/search`. */
  async search(params: URLSearchParams): Promise<SearchResult[]> {
    return (await this.json<{ results: SearchResult[] }>("GET", `/v1/search?${params}`)).results;
  }

  /** Streams a file to `POST /v1/packages/<name>/uploads`; `onBytes` sees upload progress. */
  async upload(name: string, file: string, size: number, integrity: string, onBytes: (n: number) => void): Promise<{ sha256: string; integrity: string; size: number }> {
    const body = createReadStream(file);
    body.on("data", (chunk) => onBytes(chunk.length));
    return this.json("POST", `/v1/packages/${encodeName(name)}/uploads`, {
      body,
      headers: { "content-type": "application/gzip", "content-length": String(size), "x-heddle-integrity": integrity },
    });
  }

  /** Sends a JSON request and returns the JSON answer. */
  async json<T>(method: Dispatcher.HttpMethod, path: string, options: { json?: unknown; body?: Readable; headers?: Record<string, string> } = {}): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (this.entry.token) headers.authorization = `Bearer ${this.entry.token}`;
    let body: string | Readable | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] = "application/json";
    }
    const res = await this.send(method, path, headers, body);
    if (res.statusCode >= 400) throw await this.httpError(res, method, path);
    try {
      return (await res.body.json()) as T;
    } catch (err) {
      throw new PackageError("REGISTRY_ERROR", `${this.entry.url}${path} answered with something that is not JSON: ${(err as Error).message}`);
    }
  }

  /** Starts downloading `path` (an artifact URL path). Throws PackageError on an HTTP error. */
  async download(path: string): Promise<DownloadStream> {
    const headers: Record<string, string> = {};
    if (this.entry.token) headers.authorization = `Bearer ${this.entry.token}`;
    const res = await this.send("GET", path, headers);
    if (res.statusCode >= 400) throw await this.httpError(res, "GET", path);
    return { body: res.body, size: Number(res.headers["content-length"] ?? "NaN") };
  }

  private async send(method: Dispatcher.HttpMethod, path: string, headers: Record<string, string>, body?: string | Readable): Promise<Dispatcher.ResponseData> {
    const url = new URL(path, `${this.entry.url}/`).toString();
    try {
      return await request(url, { method, headers, body, dispatcher: agent() });
    } catch (err) {
      const e = err as { code?: string; cause?: { code?: string }; message: string };
      const code = e.cause?.code ?? e.code ?? "";
      throw new PackageError("REGISTRY_UNREACHABLE", `cannot reach the registry ${this.entry.url} (${method} ${path}): ${code ? `${code} ` : ""}${e.message}`, {
        hint: "check that the registry is running and the URL is right (`heddle-host registry list`)",
        cause: err,
      });
    }
  }

  private async httpError(res: Dispatcher.ResponseData, method: string, path: string): Promise<PackageError> {
    let payload: { error?: { code?: string; message?: string; hint?: string } } = {};
    try {
      payload = (await res.body.json()) as typeof payload;
    } catch {
      // not our registry's JSON error: described by the status below
    }
    const remote = payload.error;
    const code = remote?.code as PackageErrorCode | undefined;
    const message = remote?.message ?? `${method} ${path} failed with HTTP ${res.statusCode}`;
    if (code && PASSTHROUGH_CODES.has(code)) {
      return new PackageError(code, `${message} (registry ${this.entry.url})`, { hint: remote?.hint });
    }
    if (res.statusCode === 401) return new PackageError("REGISTRY_UNAUTHORIZED", `${message} (registry ${this.entry.url})`, { hint: remote?.hint });
    if (res.statusCode === 403) return new PackageError("REGISTRY_FORBIDDEN", `${message} (registry ${this.entry.url})`, { hint: remote?.hint });
    return new PackageError("REGISTRY_ERROR", `${code ? `${code}: ` : ""}${message} (registry ${this.entry.url}, HTTP ${res.statusCode})`, { hint: remote?.hint });
  }
}

/** `acme/ping` → `acme/ping` with each part escaped. */
function encodeName(name: string): string {
  return name.split("/").map(encodeURIComponent).join("/");
}
