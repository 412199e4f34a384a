// The seed's `security` plugin (docs: /work/shared/seeds/002) written with the
// TypeScript SDK: a `vault` resource holding an api key, and a `hash` step that
// turns a table of (id, password) into (id, hash), peppering every password
// with the vault's key.
import { createHash } from "node:crypto";
import { InvalidInputError, Plugin, Table, z } from "@heddle/sdk";

// 1. Specific table types
/** Input: contains `id` and `password`. */
class CredentialsTable extends Table {}
/** Output: contains `id` and `hash`. */
class SecureTable extends Table {}

// 2. Resource and step configurations
const VaultConfig = z.object({ api_key: z.string().min(1).describe("secret mixed into every hash") });
const HashConfig = z.object({ algorithm: z.enum(["sha256", "sha384", "sha512"]).describe("node:crypto hash algorithm") });

// 3. The resource instance
class Vault {
  constructor(readonly apiKey: string) {}
}

// 4. Initialize and register
const plugin = new Plugin({ namespace: "security", version: "1.0.0", description: "Password hashing with a vault-held pepper" });

const vault = plugin.resource({ name: "vault", config: VaultConfig, description: "holds the api key used as pepper" }, (config) => new Vault(config.api_key));

plugin.step(
  { name: "hash", resource: vault, config: HashConfig, description: "hashes password with the vault key; outputs id and hash" },
  (config, input: CredentialsTable, ctx) => {
    // The `vault` resource is injected into the config.
    const { apiKey } = config.resource;
    const passwords = input.column("password");
    if (!input.column("id") || !passwords) {
      throw new InvalidInputError(`hash needs columns "id" and "password"; the input has ${input.columnNames.join(", ") || "no columns"}`);
    }
    const hashes = new Array<string | null>(input.numRows);
    for (let row = 0; row < input.numRows; row++) {
      const password = passwords.get(row) as string | null;
      hashes[row] = password === null ? null : createHash(config.algorithm).update(apiKey).update(password).digest("hex");
    }
    ctx.logger.debug("hashed passwords", { rows: input.numRows, algorithm: config.algorithm });
    // `id` is passed through without copying; `password` is dropped.
    return SecureTable.fromArrow(input.withColumn("hash", hashes, "utf8").arrow.select(["id", "hash"]));
  },
);

plugin.serve();
