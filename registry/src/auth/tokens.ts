import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { RegistryError } from "../errors.js";
import type { RegistryStorage } from "../storage/storage.js";
import { invalidScopeReason } from "./scopes.js";

/** A stored API token: never the token itself, only its SHA-256. */
export interface TokenRecord {
  id: string;
  name: string;
  /** Hex SHA-256 of the token string. */
  hash: string;
  scopes: string[];
  createdAt: string;
  /** ISO time after which the token is refused, or null for no expiry. */
  expiresAt: string | null;
  revokedAt: string | null;
}

interface TokenDocument {
  tokens: TokenRecord[];
}

const TOKENS_KEY = "auth/tokens";
const TOKEN_PREFIX = "fhub_";

/** Creates, checks and revokes API tokens kept in the registry's storage. */
export class TokenStore {
  constructor(private readonly storage: RegistryStorage) {}

  /**
   * Makes a new token and stores its hash. Returns the token, which is shown
   * once and cannot be recovered. Throws RegistryError USAGE for an invalid
   * scope or an empty scope list.
   */
  async create(options: { scopes: string[]; name?: string; expiresAt: Date | null }): Promise<{ token: string; record: TokenRecord }> {
    if (options.scopes.length === 0) throw new RegistryError("USAGE", "a token needs at least one scope", "pass --scope, e.g. --scope 'publish:acme/*'");
    for (const scope of options.scopes) {
      const reason = invalidScopeReason(scope);
      if (reason) throw new RegistryError("USAGE", reason);
    }
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
    const record: TokenRecord = {
      id: `tok_${randomBytes(6).toString("hex")}`,
      name: options.name ?? "",
      hash: hashToken(token),
      scopes: [...new Set(options.scopes)],
      createdAt: new Date().toISOString(),
      expiresAt: options.expiresAt ? options.expiresAt.toISOString() : null,
      revokedAt: null,
    };
    await this.storage.updateDocument<TokenDocument>(TOKENS_KEY, (doc) => ({ tokens: [...(doc?.tokens ?? []), record] }));
    return { token, record };
  }

  /**
   * Finds the record of a presented token. Throws RegistryError
   * REGISTRY_UNAUTHORIZED when it is unknown, revoked or expired (saying which).
   */
  async authenticate(token: string, now = new Date()): Promise<TokenRecord> {
    const digest = Buffer.from(hashToken(token), "hex");
    const doc = await this.storage.readDocument<TokenDocument>(TOKENS_KEY);
    const record = doc?.tokens.find((t) => timingSafeEqual(Buffer.from(t.hash, "hex"), digest));
    if (!record) {
      throw new RegistryError("REGISTRY_UNAUTHORIZED", "the API token is not known to this registry", "check the token, or create one with `heddle-registry token create`");
    }
    if (record.revokedAt) {
      throw new RegistryError("REGISTRY_UNAUTHORIZED", `the API token ${record.id} was revoked at ${record.revokedAt}`, "create a new token with `heddle-registry token create`");
    }
    if (record.expiresAt && Date.parse(record.expiresAt) <= now.getTime()) {
      throw new RegistryError("REGISTRY_UNAUTHORIZED", `the API token ${record.id} expired at ${record.expiresAt}`, "create a new token with `heddle-registry token create`");
    }
    return record;
  }

  /** Every token record (hashes included, tokens never). */
  async list(): Promise<TokenRecord[]> {
    return (await this.storage.readDocument<TokenDocument>(TOKENS_KEY))?.tokens ?? [];
  }

  /** Marks a token revoked. Throws RegistryError USAGE if there is no such token id. */
  async revoke(id: string): Promise<TokenRecord> {
    let revoked: TokenRecord | undefined;
    await this.storage.updateDocument<TokenDocument>(TOKENS_KEY, (doc) => {
      const tokens = (doc?.tokens ?? []).map((t) => (t.id === id && !t.revokedAt ? (revoked = { ...t, revokedAt: new Date().toISOString() }) : t));
      return revoked ? { tokens } : undefined;
    });
    if (!revoked) throw new RegistryError("USAGE", `no active token with id ${JSON.stringify(id)}`, "list tokens with `heddle-registry token list`");
    return revoked;
  }
}

/** Hex SHA-256 of a token: what is stored and compared. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
