import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { RegistryError, isRegistryError } from "../errors.js";

/**
 * Answers with a JSON body. GET answers carry a strong ETag and honour
 * If-None-Match with 304, so clients and proxies can cache package indexes.
 */
export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  const etag = `"${createHash("sha256").update(text).digest("base64url").slice(0, 27)}"`;
  if ((req.method === "GET" || req.method === "HEAD") && status === 200 && req.headers["if-none-match"] === etag) {
    res.writeHead(304, { etag, ...headers });
    res.end();
    return;
  }
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    etag,
    ...headers,
  });
  res.end(req.method === "HEAD" ? undefined : text);
}

/** Answers `{ "error": { code, message, hint } }` with the error's status. Anything not a RegistryError becomes INTERNAL. */
export function sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const error = isRegistryError(err)
    ? err
    : new RegistryError("INTERNAL", `internal error: ${(err as Error)?.message ?? String(err)}`, "this is a registry bug; the server log has details");
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = { error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } };
  const text = `${JSON.stringify(body)}\n`;
  const unread = !req.readableEnded && (req.headers["content-length"] !== "0" && (req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined));
  res.writeHead(error.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    // a request body we will not read: do not try to reuse the connection
    ...(unread ? { connection: "close" } : {}),
  });
  res.end(text);
  if (unread) req.resume();
}

/**
 * Reads a JSON request body of at most `limit` bytes. Throws RegistryError
 * REGISTRY_BAD_REQUEST for a body that is too large, not JSON, or not an object.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) throw new RegistryError("REGISTRY_BAD_REQUEST", `the JSON body is larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RegistryError("REGISTRY_BAD_REQUEST", `the JSON body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (err) {
    throw new RegistryError("REGISTRY_BAD_REQUEST", `the request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new RegistryError("REGISTRY_BAD_REQUEST", "the request body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

/** A required string member of a JSON body. Throws RegistryError REGISTRY_BAD_REQUEST naming it. */
export function requireString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== "string" || value === "") throw new RegistryError("REGISTRY_BAD_REQUEST", `the request body needs a non-empty string "${key}"`);
  return value;
}
