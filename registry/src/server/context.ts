import type { TokenStore } from "../auth/tokens.js";
import type { Ed25519KeyPair } from "../crypto/keys.js";
import type { ResolvedRegistryOptions } from "../options.js";
import type { RegistryStorage } from "../storage/storage.js";

/** What every route handler can use: storage, tokens, the registry key and the options. */
export interface RegistryContext {
  storage: RegistryStorage;
  tokens: TokenStore;
  registryKey: Ed25519KeyPair;
  options: ResolvedRegistryOptions;
}
