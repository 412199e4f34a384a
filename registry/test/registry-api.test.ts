// The registry service end to end: the real CLI serving on loopback, driven
// over HTTP with undici. Covers auth (scopes, expiry, revocation), streamed
// uploads and the size limit, publish checks (signatures, namespace keys,
// archive safety, manifest consistency), immutability, yank/deprecate,
// dist-tags, search and the countersignatures clients verify.
import { execa } from "execa";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEd25519KeyPair, keyIdOf, signPayload, verifyPayload } from "../src/crypto/keys.js";
import { keyAdditionPayload, keyBindingPayload, releasePayload } from "../src/crypto/signed-payloads.js";
import { REGISTRY_BIN, createToken, startRegistryProcess, type RegistryProcess } from "./helpers/registry-process.js";
import { call, packFixture, publish, rawTgz, upload } from "./helpers/publish-client.js";

let registry: RegistryProcess;
let acmeToken: string;
const acmeKey = generateEd25519KeyPair();

beforeAll(async () => {
  registry = await startRegistryProcess();
  acmeToken = await createToken(registry.dataDir, ["publish:acme/*"]);
});
afterAll(async () => {
  await registry?.stop();
});

describe("discovery and keys", () => {
  it("serves a discovery document and the registry public key", async () => {
    const { status, body } = await call(registry.url, "GET", "/v1");
    expect(status).toBe(200);
    expect(body.service).toBe("fhub");
    expect(body.registryKey.keyId).toBe(keyIdOf(body.registryKey.publicKey));
    const keys = await call(registry.url, "GET", "/v1/keys");
    expect(keys.body.keys[0]).toEqual(body.registryKey);
  });

  it("answers unknown routes and methods with stable codes", async () => {
    expect((await call(registry.url, "GET", "/v1/nope")).body.error.code).toBe("ROUTE_NOT_FOUND");
    const wrongMethod = await call(registry.url, "DELETE", "/v1/search");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.error.code).toBe("METHOD_NOT_ALLOWED");
  });
});

describe("auth", () => {
  it("refuses an upload without a token", async () => {
    const { archive } = await packFixture();
    const res = await upload(registry.url, "acme/minimal", archive);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("REGISTRY_UNAUTHORIZED");
  });

  it("refuses a token scoped to another namespace, naming the scope needed", async () => {
    const other = await createToken(registry.dataDir, ["publish:other/*"]);
    const { archive } = await packFixture();
    const res = await upload(registry.url, "acme/minimal", archive, other);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("REGISTRY_FORBIDDEN");
    expect(res.body.error.hint).toContain("publish:acme/*");
  });

  it("refuses expired and revoked tokens, and unknown ones", async () => {
    const expiring = await createToken(registry.dataDir, ["publish:acme/*"], ["--expires", new Date(Date.now() + 1500).toISOString()]);
    expect((await call(registry.url, "GET", "/v1/whoami", undefined, expiring)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    const expired = await call(registry.url, "GET", "/v1/whoami", undefined, expiring);
    expect(expired.body.error.code).toBe("REGISTRY_UNAUTHORIZED");
    expect(expired.body.error.message).toContain("expired");

    const revocable = await createToken(registry.dataDir, ["read"], ["--name", "to-revoke"]);
    const who = await call(registry.url, "GET", "/v1/whoami", undefined, revocable);
    await execa(process.execPath, [REGISTRY_BIN, "token", "revoke", who.body.id, "--data", registry.dataDir]);
    const revoked = await call(registry.url, "GET", "/v1/whoami", undefined, revocable);
    expect(revoked.body.error.message).toContain("revoked");

    const unknown = await call(registry.url, "GET", "/v1/whoami", undefined, "fhub_not-a-real-token");
    expect(unknown.status).toBe(401);
  });

  it("stores only token hashes", async () => {
    const token = await createToken(registry.dataDir, ["yank"]);
    const listed = await execa(process.execPath, [REGISTRY_BIN, "token", "list", "--data", registry.dataDir]);
    expect(listed.stdout).not.toContain(token);
    const { readFile } = await import("node:fs/promises");
    const stored = await readFile(`${registry.dataDir}/docs/auth/tokens.json`, "utf8");
    expect(stored).not.toContain(token);
  });

  it("rejects invalid scopes at token creation with a usage error", async () => {
    const result = await execa(process.execPath, [REGISTRY_BIN, "token", "create", "--data", registry.dataDir, "--scope", "publish:ACME"], { reject: false });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("error[USAGE]");
  });
});

describe("publishing", () => {
  it("publishes a signed version and countersigns it", async () => {
    const { archive, manifest } = await packFixture();
    const res = await publish(registry.url, acmeToken, manifest, archive, acmeKey);
    expect(res.status).toBe(201);
    const entry = res.body;
    expect(entry.artifacts[0].url).toBe(`/v1/blobs/${archive.sha256}`);
    const { body: discovery } = await call(registry.url, "GET", "/v1");
    expect(verifyPayload(discovery.registryKey.publicKey, releasePayload(entry), entry.registrySignature.signature)).toBe(true);
    const ns = await call(registry.url, "GET", "/v1/namespaces/acme");
    expect(ns.body.keys.map((k: { keyId: string }) => k.keyId)).toEqual([acmeKey.keyId]);
    expect(verifyPayload(discovery.registryKey.publicKey, keyBindingPayload(ns.body.keys[0]), ns.body.keys[0].registrySignature.signature)).toBe(true);
    const download = await (await import("undici")).request(`${registry.url}${entry.artifacts[0].url}`);
    expect(Buffer.from(await download.body.arrayBuffer()).equals(archive.bytes)).toBe(true);
  });

  it("never overwrites a version", async () => {
    const { archive, manifest } = await packFixture({ description: "changed" });
    const res = await publish(registry.url, acmeToken, manifest, archive, acmeKey);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("VERSION_EXISTS");
  });

  it("refuses a release signed by a key that is not the namespace's", async () => {
    const { archive, manifest } = await packFixture({ version: "1.0.1" });
    const res = await publish(registry.url, acmeToken, manifest, archive, generateEd25519KeyPair());
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("SIGNATURE_UNKNOWN_KEY");
  });

  it("refuses a signature that does not match the release", async () => {
    const { archive, manifest } = await packFixture({ version: "1.0.2" });
    const up = await upload(registry.url, "acme/minimal", archive, acmeToken);
    const artifacts = [{ platform: "any", os: "any", arch: "any", size: archive.bytes.length, sha256: up.body.sha256, integrity: up.body.integrity }];
    const signature = signPayload(acmeKey.privateKeyPem, "something else");
    const res = await call(registry.url, "PUT", "/v1/packages/acme/minimal/versions/1.0.2", { manifest, artifacts, publisher: { keyId: acmeKey.keyId, publicKey: acmeKey.publicKey, signature } }, acmeToken);
    expect(res.body.error.code).toBe("SIGNATURE_INVALID");
  });

  it("refuses archives whose manifest disagrees with the release", async () => {
    const { archive } = await packFixture({ version: "9.9.9" });
    const { manifest } = await packFixture({ version: "1.0.3" });
    const res = await publish(registry.url, acmeToken, manifest, archive, acmeKey);
    expect(res.body.error.code).toBe("MANIFEST_INVALID");
  });

  it("refuses unsafe archives: path traversal, escaping symlinks, devices", async () => {
    const manifest = { name: "acme/evil", version: "1.0.0", runtime: "exec", entrypoint: "run" };
    const good = { path: "heddle-plugin.json", body: JSON.stringify(manifest) };
    for (const bad of [
      { path: "../escape.txt", body: "x" },
      { path: "/etc/passwd-copy", body: "x" },
      { path: "link", type: "SymbolicLink", linkpath: "../../outside" },
      { path: "dev", type: "CharacterDevice" },
    ]) {
      const res = await publish(registry.url, acmeToken, manifest, rawTgz([good, bad]), acmeKey);
      expect(res.status, bad.path).toBe(422);
      expect(res.body.error.code).toBe("UNSAFE_ARCHIVE");
    }
  });

  it("refuses a publish that names an archive that was never uploaded", async () => {
    const { manifest } = await packFixture({ version: "1.0.4" });
    const artifacts = [{ platform: "any", os: "any", arch: "any", size: 10, sha256: "0".repeat(64), integrity: "sha512-AAAA" }];
    const res = await call(registry.url, "PUT", "/v1/packages/acme/minimal/versions/1.0.4", { manifest, artifacts, publisher: { keyId: acmeKey.keyId, publicKey: acmeKey.publicKey, signature: "x" } }, acmeToken);
    expect(res.body.error.code).toBe("BLOB_NOT_FOUND");
  });

  it("lets a namespace key vouch for a new key", async () => {
    const newKey = generateEd25519KeyPair();
    const noProof = await call(registry.url, "POST", "/v1/namespaces/acme/keys", { publicKey: newKey.publicKey }, acmeToken);
    expect(noProof.body.error.code).toBe("SIGNATURE_UNKNOWN_KEY");
    const proof = { keyId: acmeKey.keyId, signature: signPayload(acmeKey.privateKeyPem, keyAdditionPayload("acme", newKey.publicKey)) };
    const added = await call(registry.url, "POST", "/v1/namespaces/acme/keys", { publicKey: newKey.publicKey, proof }, acmeToken);
    expect(added.status).toBe(201);
    const { archive, manifest } = await packFixture({ version: "1.0.5" });
    expect((await publish(registry.url, acmeToken, manifest, archive, newKey)).status).toBe(201);
  });
});

describe("upload limits", () => {
  it("refuses uploads over --max-upload-bytes, streamed or announced", async () => {
    const small = await startRegistryProcess({ args: ["--max-upload-bytes", "1KiB"] });
    try {
      const token = await createToken(small.dataDir, ["publish:acme/*"]);
      const big = rawTgz([{ path: "heddle-plugin.json", body: "{}" }, { path: "blob.bin", body: randomBytes(4000) }]);
      expect(big.bytes.length).toBeGreaterThan(1024);
      const announced = await upload(small.url, "acme/big", big, token);
      expect(announced.status).toBe(413);
      expect(announced.body.error.code).toBe("PACKAGE_TOO_LARGE");
      // chunked, no Content-Length: the limit is enforced while the bytes stream in
      const streamed = await request(`${small.url}/v1/packages/acme/big/uploads`, {
        method: "POST",
        body: Readable.from([big.bytes.subarray(0, 600), big.bytes.subarray(600)]),
        headers: { authorization: `Bearer ${token}` },
      });
      expect(streamed.statusCode).toBe(413);
      expect(((await streamed.body.json()) as { error: { code: string } }).error.code).toBe("PACKAGE_TOO_LARGE");
      const { readdir } = await import("node:fs/promises");
      expect(await readdir(`${small.dataDir}/tmp`)).toEqual([]);
    } finally {
      await small.stop();
    }
  });
});

describe("yank, deprecate, dist-tags", () => {
  it("moves latest off a yanked version and back", async () => {
    const { archive, manifest } = await packFixture({ name: "acme/tags", version: "2.0.0" });
    await publish(registry.url, acmeToken, manifest, archive, acmeKey);
    const v3 = await packFixture({ name: "acme/tags", version: "3.0.0" });
    await publish(registry.url, acmeToken, v3.manifest, v3.archive, acmeKey);
    expect((await call(registry.url, "GET", "/v1/packages/acme/tags")).body.distTags.latest).toBe("3.0.0");

    const yanked = await call(registry.url, "POST", "/v1/packages/acme/tags/versions/3.0.0/yank", { reason: "broken build" }, acmeToken);
    expect(yanked.body.yanked.reason).toBe("broken build");
    expect((await call(registry.url, "GET", "/v1/packages/acme/tags")).body.distTags.latest).toBe("2.0.0");
    await call(registry.url, "DELETE", "/v1/packages/acme/tags/versions/3.0.0/yank", undefined, acmeToken);

    const deprecated = await call(registry.url, "PUT", "/v1/packages/acme/tags/versions/2.0.0/deprecation", { message: "use 3.x" }, acmeToken);
    expect(deprecated.body.deprecated).toBe("use 3.x");

    const next = await packFixture({ name: "acme/tags", version: "4.0.0-rc.1" });
    await publish(registry.url, acmeToken, next.manifest, next.archive, acmeKey, { tag: "next" });
    const tags = (await call(registry.url, "GET", "/v1/packages/acme/tags")).body.distTags;
    expect(tags).toEqual({ latest: "3.0.0", next: "4.0.0-rc.1" });

    const yankScope = await createToken(registry.dataDir, ["yank"]);
    expect((await call(registry.url, "PUT", "/v1/packages/acme/tags/dist-tags/beta", { version: "2.0.0" }, yankScope)).body.error.code).toBe("REGISTRY_FORBIDDEN");
    expect((await call(registry.url, "POST", "/v1/packages/acme/tags/versions/2.0.0/yank", {}, yankScope)).status).toBe(200);
  });
});

describe("search", () => {
  it("finds packages by text and by capability", async () => {
    const byText = await call(registry.url, "GET", "/v1/search?q=minimal");
    expect(byText.body.results.map((r: { name: string }) => r.name)).toContain("acme/minimal");
    const byStep = await call(registry.url, "GET", "/v1/search?step=minimal.noop&command=ping");
    expect(byStep.body.results.map((r: { name: string }) => r.name)).toContain("acme/minimal");
    const none = await call(registry.url, "GET", "/v1/search?resource=kafka");
    expect(none.body.results).toEqual([]);
  });
});

describe("OpenAPI document", () => {
  it("is served and documents every route the server has", async () => {
    const res = await request(`${registry.url}/v1/openapi.yaml`);
    expect(res.statusCode).toBe(200);
    const text = await res.body.text();
    const { metaRoutes } = await import("../src/routes/meta.js");
    const { packageRoutes } = await import("../src/routes/packages.js");
    const { blobRoutes } = await import("../src/routes/blobs.js");
    const { publishRoutes } = await import("../src/routes/publish.js");
    const { lifecycleRoutes } = await import("../src/routes/lifecycle.js");
    const { namespaceRoutes } = await import("../src/routes/namespaces.js");
    const { searchRoutes } = await import("../src/routes/search.js");
    for (const route of [...metaRoutes, ...packageRoutes, ...blobRoutes, ...publishRoutes, ...lifecycleRoutes, ...namespaceRoutes, ...searchRoutes]) {
      const path = route.pattern.replace(/:(\w+)/g, "{$1}");
      const block = text.split(`\n  ${path}:\n`)[1]?.split(/\n  \/v1/)[0] ?? "";
      expect(block, `${route.method} ${path}`).toContain(`    ${route.method.toLowerCase()}:`);
    }
  });
});
