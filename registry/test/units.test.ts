// Pure functions: scopes, canonical JSON, archive rules, size and expiry parsing, search ranking.
import { describe, expect, it } from "vitest";
import { invalidScopeReason, scopesAllow } from "../src/auth/scopes.js";
import { canonicalJson } from "../src/crypto/canonical-json.js";
import { generateEd25519KeyPair, signPayload, verifyPayload } from "../src/crypto/keys.js";
import { unsafeEntryReason } from "../src/model/archive-rules.js";
import { searchPackages } from "../src/model/search.js";
import type { PackageIndex } from "../src/model/index-types.js";
import { parseByteSize, parseExpiry } from "../src/options.js";

describe("scopes", () => {
  it("grants publish per namespace or package, yank globally, admin everything", () => {
    expect(scopesAllow(["publish:acme/*"], "publish", "acme/security")).toBe(true);
    expect(scopesAllow(["publish:acme/*"], "publish", "acmecorp/security")).toBe(false);
    expect(scopesAllow(["publish:acme/security"], "publish", "acme/other")).toBe(false);
    expect(scopesAllow(["yank"], "yank", "any/thing")).toBe(true);
    expect(scopesAllow(["yank"], "publish", "any/thing")).toBe(false);
    expect(scopesAllow(["admin"], "add-key", "acme")).toBe(true);
    expect(scopesAllow(["publish:acme/security"], "add-key", "acme")).toBe(false);
    expect(invalidScopeReason("publish:acme/*")).toBeNull();
    expect(invalidScopeReason("write")).toContain("unknown scope");
  });
});

describe("canonical JSON and signatures", () => {
  it("sorts keys at every depth so equal documents sign equally", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: null }], c: "x" } })).toBe('{"a":{"c":"x","d":[1,{"y":null,"z":0}]},"b":1}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    const key = generateEd25519KeyPair();
    const sig = signPayload(key.privateKeyPem, canonicalJson({ a: 1 }));
    expect(verifyPayload(key.publicKey, '{"a":1}', sig)).toBe(true);
    expect(verifyPayload(key.publicKey, '{"a":2}', sig)).toBe(false);
    expect(verifyPayload("not-a-key", '{"a":1}', sig)).toBe(false);
  });
});

describe("archive rules", () => {
  it("accepts plain files, folders and inner links; refuses the rest", () => {
    expect(unsafeEntryReason("plugin.py", "File")).toBeNull();
    expect(unsafeEntryReason("./lib/", "Directory")).toBeNull();
    expect(unsafeEntryReason("lib/current", "SymbolicLink", "../lib/v1")).toBeNull();
    expect(unsafeEntryReason("../x", "File")).toContain("'..'");
    expect(unsafeEntryReason("/abs", "File")).toContain("absolute");
    expect(unsafeEntryReason("C:/x", "File")).toContain("absolute");
    expect(unsafeEntryReason("a\\b", "File")).toContain("backslash");
    expect(unsafeEntryReason("l", "SymbolicLink", "../../etc")).toContain("outside");
    expect(unsafeEntryReason("l", "SymbolicLink", "/etc/passwd")).toContain("outside");
    expect(unsafeEntryReason("h", "Link", "../x")).toContain("hard link");
    expect(unsafeEntryReason("d", "CharacterDevice")).toContain("not allowed");
    expect(unsafeEntryReason("f", "FIFO")).toContain("not allowed");
  });
});

describe("options", () => {
  it("parses sizes and token lifetimes", () => {
    expect(parseByteSize("1KiB")).toBe(1024);
    expect(parseByteSize("100MB")).toBe(100_000_000);
    expect(() => parseByteSize("lots")).toThrow("invalid size");
    const now = new Date("2026-01-01T00:00:00Z");
    expect(parseExpiry("30d", now)!.toISOString()).toBe("2026-01-31T00:00:00.000Z");
    expect(parseExpiry("never", now)).toBeNull();
    expect(() => parseExpiry("2000-01-01", now)).toThrow("in the past");
  });
});

describe("search ranking", () => {
  const index = (name: string, manifest: Record<string, unknown>, yanked = false): PackageIndex => ({
    name,
    distTags: { latest: "1.0.0" },
    createdAt: "",
    updatedAt: "",
    versions: {
      "1.0.0": {
        name, version: "1.0.0", manifest, artifacts: [], publishedAt: "",
        publisher: { keyId: "", publicKey: "", signature: "" }, registrySignature: { keyId: "", signature: "" },
        yanked: yanked ? { reason: "", at: "" } : null, deprecated: null,
      },
    },
  });
  it("ranks exact names first, filters by capability, skips fully yanked packages", () => {
    const all = [
      index("fhub/kafka", { description: "Kafka consumer and producer", provides: { namespace: "kafka", steps: ["consume", "produce"], resources: ["connection"] } }),
      index("acme/kafka-tools", { description: "tools" }),
      index("acme/gone", { description: "kafka" }, true),
    ];
    const hits = searchPackages(all, { text: "kafka", steps: [], resources: [], commands: [], handlers: [], limit: 10 });
    expect(hits.map((h) => h.name)).toEqual(["fhub/kafka", "acme/kafka-tools"]);
    const byStep = searchPackages(all, { text: "", steps: ["kafka.produce"], resources: ["connection"], commands: [], handlers: [], limit: 10 });
    expect(byStep.map((h) => h.name)).toEqual(["fhub/kafka"]);
  });
});
