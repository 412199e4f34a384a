import type { Readable } from "node:stream";

/** What the registry knows about a stored blob (an uploaded archive). */
export interface BlobInfo {
  /** Hex SHA-256, also the blob's address. */
  sha256: string;
  /** SRI `sha512-<base64>`. */
  integrity: string;
  size: number;
}

/**
 * The storage the registry runs on. Two kinds of things: immutable,
 * content-addressed blobs (archives), and small JSON documents (package
 * indexes, namespaces, tokens) that change by read-modify-write.
 * The interface is deliberately this small so an object store (S3 with
 * conditional writes, GCS generations) can implement it: blobs map to objects
 * named by hash, `updateDocument` to a compare-and-swap loop.
 */
export interface RegistryStorage {
  /**
   * Streams `source` into a new blob, hashing as it goes. Throws a
   * RegistryError PACKAGE_TOO_LARGE (and keeps nothing) once more than
   * `maxBytes` arrive. Storing bytes that already exist is a no-op.
   */
  putBlob(source: Readable, maxBytes: number): Promise<BlobInfo>;
  /** The blob's info, or null if there is no such blob. */
  statBlob(sha256: string): Promise<BlobInfo | null>;
  /** A stream of the blob's bytes, or null if there is no such blob. */
  openBlob(sha256: string): Promise<{ stream: Readable; size: number } | null>;
  /** A document by key (`packages/acme/ping`), or null if absent. */
  readDocument<T>(key: string): Promise<T | null>;
  /**
   * Reads a document, lets `update` change it, and writes the result
   * atomically, with no other update of the same key in between (also across
   * processes sharing the storage). `update` returns the new document, or
   * undefined to leave it unchanged; what it throws is rethrown.
   * Resolves to the document as stored afterwards.
   */
  updateDocument<T>(key: string, update: (current: T | null) => T | undefined | Promise<T | undefined>): Promise<T | null>;
  /** Keys of the documents under `prefix` (e.g. `packages/`). */
  listDocuments(prefix: string): Promise<string[]>;
}
