// FsStorage on a real temp folder: content-addressed blobs, atomic documents,
// no lost updates when many writers race, and no leftovers from failed uploads.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FsStorage } from "../src/storage/fs-storage.js";
import { RegistryError } from "../src/errors.js";

let root: string;
let storage: FsStorage;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "fhub-storage-"));
  storage = new FsStorage(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("blobs", () => {
  it("stores bytes under their sha256 with sha512 integrity, once", async () => {
    const bytes = Buffer.from("plugin archive bytes");
    const info = await storage.putBlob(Readable.from([bytes]), 1024);
    expect(info.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(info.integrity).toBe(`sha512-${createHash("sha512").update(bytes).digest("base64")}`);
    expect(await storage.putBlob(Readable.from([bytes]), 1024)).toEqual(info);
    expect(await storage.statBlob(info.sha256)).toEqual(info);
    const blob = await storage.openBlob(info.sha256);
    const chunks: Buffer[] = [];
    for await (const c of blob!.stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    expect(await storage.openBlob("f".repeat(64))).toBeNull();
    expect(await storage.openBlob("../../etc/passwd")).toBeNull();
  });

  it("keeps nothing of an upload over the limit", async () => {
    const err = await storage.putBlob(Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).code).toBe("PACKAGE_TOO_LARGE");
    expect(await readdir(join(root, "tmp"))).toEqual([]);
  });
});

describe("documents", () => {
  it("loses no update when many writers race on one document", async () => {
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        storage.updateDocument<{ items: number[] }>("packages/acme/race", (doc) => ({ items: [...(doc?.items ?? []), i] })),
      ),
    );
    const doc = await storage.readDocument<{ items: number[] }>("packages/acme/race");
    expect(doc!.items.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // written by rename: no temp or lock files left next to it
    expect((await readdir(join(root, "docs", "packages", "acme"))).sort()).toEqual(["race.json"]);
  });

  it("loses no update across two storage instances (two processes share a folder)", async () => {
    const other = new FsStorage(root);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? storage : other).updateDocument<{ n: number }>("auth/tokens", (doc) => ({ n: (doc?.n ?? 0) + 1 })),
      ),
    );
    expect(JSON.parse(await readFile(join(root, "docs", "auth", "tokens.json"), "utf8"))).toEqual({ n: 20 });
  });

  it("leaves the document unchanged when the update throws or returns undefined", async () => {
    await storage.updateDocument("namespaces/acme", () => ({ keys: [] }));
    await expect(storage.updateDocument("namespaces/acme", () => {
      throw new RegistryError("VERSION_EXISTS", "no");
    })).rejects.toThrow("no");
    expect(await storage.updateDocument("namespaces/acme", () => undefined)).toEqual({ keys: [] });
    expect(await storage.listDocuments("namespaces")).toEqual(["namespaces/acme"]);
  });

  it("refuses keys that could leave the data folder", async () => {
    await expect(storage.readDocument("../outside")).rejects.toMatchObject({ code: "REGISTRY_BAD_REQUEST" });
  });
});
