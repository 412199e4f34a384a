/**
 * @heddle/registry: the Fhub registry service. Most users run the
 * `heddle-registry` CLI; tests and embedders call {@link startRegistry}.
 */
export { startRegistry, type RunningRegistry } from "./server/server.js";
export { resolveOptions, parseByteSize, parseExpiry, type RegistryOptions, type ResolvedRegistryOptions } from "./options.js";
export { RegistryError, REGISTRY_ERROR_STATUS, type RegistryErrorCode } from "./errors.js";
export type { RegistryStorage, BlobInfo } from "./storage/storage.js";
export { FsStorage } from "./storage/fs-storage.js";
export { TokenStore, type TokenRecord } from "./auth/tokens.js";
export { scopesAllow, invalidScopeReason, type ScopeAction } from "./auth/scopes.js";
export { generateEd25519KeyPair, keyPairFromPrivateKey, keyIdOf, signPayload, verifyPayload, type Ed25519KeyPair } from "./crypto/keys.js";
export { loadOrCreateRegistryKey } from "./crypto/registry-key.js";
export { publisherPayload, releasePayload, keyBindingPayload, keyAdditionPayload } from "./crypto/signed-payloads.js";
export { canonicalJson } from "./crypto/canonical-json.js";
export type * from "./model/index-types.js";
