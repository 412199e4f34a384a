import { mkdir, open, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { generateEd25519KeyPair, keyPairFromPrivateKey, type Ed25519KeyPair } from "./keys.js";

/**
 * Loads the registry's own Ed25519 signing key from `path`, creating it (mode
 * 0600) on first start. The key stays on local disk whatever storage backs
 * the packages, because it is a secret and blobs are public.
 * Throws the fs error if the file cannot be read or created, or a TypeError
 * if it holds something other than an Ed25519 PKCS#8 PEM key.
 */
export async function loadOrCreateRegistryKey(path: string): Promise<Ed25519KeyPair> {
  try {
    return keyPairFromPrivateKey(await readFile(path, "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const pair = generateEd25519KeyPair();
  try {
    const handle = await open(path, "wx", 0o600);
    try {
      await handle.writeFile(pair.privateKeyPem);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return pair;
  } catch (err) {
    // another process created it first: use theirs
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return keyPairFromPrivateKey(await readFile(path, "utf8"));
    throw err;
  }
}
