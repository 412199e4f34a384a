// heddle-plugin.json validation: every error names the field (MANIFEST_INVALID).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadPluginJson, validatePluginJson } from "../src/manifest/plugin-json.js";
import type { HostError } from "../src/errors.js";

const valid = { name: "my-plugin", version: "1.2.3", runtime: "python", entrypoint: "plugin.py" };

function errorOf(fn: () => unknown): HostError {
  try {
    fn();
  } catch (err) {
    return err as HostError;
  }
  throw new Error("expected a validation error");
}

describe("validatePluginJson", () => {
  it("accepts the required fields, the optional ones, and unknown keys", () => {
    expect(validatePluginJson(valid)).toEqual(valid);
    const full = {
      ...valid, description: "d", license: "MIT", env: { A: "1" }, args: ["--x"], startTimeoutMs: 5000, pool: 2,
      protocolVersions: [1], publisher: "someone",
    };
    expect(validatePluginJson(full)).toEqual(full);
    expect(validatePluginJson({ ...valid, name: "@scope/name.x_y-z" }).name).toBe("@scope/name.x_y-z");
    expect(validatePluginJson({ ...valid, name: "acme/security" }).name).toBe("acme/security");
  });

  it.each([
    [{ ...valid, name: undefined }, "/name", "is required"],
    [{ ...valid, name: "Has Space" }, "/name", "lower-case"],
    [{ ...valid, version: "one" }, "/version", "semantic version"],
    [{ ...valid, runtime: "java" }, "/runtime", "python, node, go, rust, exec"],
    [{ ...valid, entrypoint: "" }, "/entrypoint", "non-empty string"],
    [{ ...valid, env: { A: 1 } }, "/env/A", "must be a string"],
    [{ ...valid, env: [] }, "/env", "object"],
    [{ ...valid, args: "x" }, "/args", "array of strings"],
    [{ ...valid, args: ["ok", 3] }, "/args/1", "must be a string"],
    [{ ...valid, startTimeoutMs: 0 }, "/startTimeoutMs", "integer >= 1"],
    [{ ...valid, pool: 1.5 }, "/pool", "integer >= 1"],
    [{ ...valid, protocolVersions: [] }, "/protocolVersions", "non-empty"],
    [{ ...valid, protocolVersions: [1, "2"] }, "/protocolVersions/1", "integer >= 1"],
    [{ ...valid, description: 5 }, "/description", "must be a string"],
  ])("rejects %j naming %s", (data, field, text) => {
    const err = errorOf(() => validatePluginJson(data));
    expect(err.code).toBe("MANIFEST_INVALID");
    expect(err.field).toBe(field);
    expect(err.message).toContain(`"${field.slice(1)}"`);
    expect(err.message).toContain(text);
    expect(err.hint).toBeTruthy();
  });

  it("rejects non-objects", () => {
    expect(errorOf(() => validatePluginJson([])).code).toBe("MANIFEST_INVALID");
    expect(errorOf(() => validatePluginJson("x")).code).toBe("MANIFEST_INVALID");
  });
});

describe("loadPluginJson", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const folder = async (content?: string) => {
    const dir = await mkdtemp(join(tmpdir(), "hh-test-"));
    dirs.push(dir);
    if (content !== undefined) await writeFile(join(dir, "heddle-plugin.json"), content);
    return dir;
  };

  it("reads a valid file", async () => {
    const dir = await folder(JSON.stringify(valid));
    expect(await loadPluginJson(dir)).toEqual({ dir, json: valid });
  });

  it("fails with MANIFEST_INVALID when the file is missing or not JSON", async () => {
    const missing = await loadPluginJson(await folder()).catch((e: HostError) => e);
    expect(missing).toMatchObject({ code: "MANIFEST_INVALID" });
    expect((missing as HostError).message).toContain("does not exist");
    const broken = await loadPluginJson(await folder("{ nope")).catch((e: HostError) => e);
    expect(broken).toMatchObject({ code: "MANIFEST_INVALID" });
    expect((broken as HostError).message).toContain("not valid JSON");
  });
});
