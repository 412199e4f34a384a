// The publisher's Ed25519 key: made on first publish under $HEDDLE_HOME/keys
// (mode 0600), or read from --key FILE.
import { mkdir, open, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { PackageError } from "./errors.js";
import { publisherKeyFile } from "./options.js";
import { generateKeyPair, keyPairFromPem, type KeyPair } from "./signing.js";

/**
 * Loads the publisher key from `file` (default `$HEDDLE_HOME/keys/publisher-ed25519.pem`).
 * The default key is created when missing; an explicit `file` must exist.
 * Throws PackageError USAGE for a missing explicit file or a file that is not an Ed25519 PEM key.
 */
export async function loadPublisherKey(file?: string): Promise<{ key: KeyPair; created: boolean; path: string }> {
  const path = file ?? publisherKeyFile();
  try {
    return { key: keyPairFromPem(await readFile(path, "utf8")), created: false, path };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw new PackageError("USAGE", `${path} is not an Ed25519 private key: ${(err as Error).message}`, { hint: "pass a PKCS#8 PEM Ed25519 key with --key" });
    if (file) throw new PackageError("USAGE", `the key file ${file} does not exist`, { hint: "omit --key to use (and create) the default publisher key" });
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const key = generateKeyPair();
  try {
    const handle = await open(path, "wx", 0o600);
    try {
      await handle.writeFile(key.privateKeyPem);
    } finally {
      await handle.close();
    }
    return { key, created: true, path };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return { key: keyPairFromPem(await readFile(path, "utf8")), created: false, path };
    throw err;
  }
}
