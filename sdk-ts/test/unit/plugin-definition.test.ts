// Registration: definition mistakes fail fast with MANIFEST_INVALID, and the
// manifest carries what was registered.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { PluginDefinitionError } from "../../src/core/errors.js";
import { Table } from "../../src/core/table.js";
import { ExecutionMode } from "../../src/gen/heddle/plugin/v1/manifest.js";
import { buildManifest } from "../../src/sdk/manifest.js";
import { Plugin } from "../../src/sdk/plugin.js";

describe("Plugin registration", () => {
  it("rejects duplicates, clashes, bad names and unknown resource kinds", () => {
    const plugin = new Plugin({ namespace: "ns" });
    plugin.step({ name: "s" }, (_c, input) => input);
    expect(() => plugin.step({ name: "s" }, (_c, input) => input)).toThrow(PluginDefinitionError);
    expect(() => plugin.handler({ name: "s" }, (_c, input) => input)).toThrow(/same name/);
    expect(() => plugin.step({ name: "bad name" }, (_c, input) => input)).toThrow(/not valid/);
    expect(() => plugin.step({ name: "t", resource: "missing" }, (_c, input) => input)).toThrow(/not registered/);
    expect(() => new Plugin({ namespace: "" })).toThrow(PluginDefinitionError);
    plugin.resource({ name: "r" }, () => ({}));
    expect(() => plugin.resource({ name: "r" }, () => ({}))).toThrow(/registered twice/);
    expect(() => plugin.step({ name: "u", resource: "r", config: z.object({ resource: z.string() }) }, (_c, i) => i)).toThrow(/clashes/);
    expect(() => plugin.command({ name: "c", mode: "never" as never }, () => null)).toThrow(/mode/);
  });

  it("builds the manifest from what was registered", () => {
    const plugin = new Plugin({ namespace: "ns", version: "2.0.0", description: "d" });
    const db = plugin.resource({ name: "db", config: z.object({ url: z.string() }) }, (c) => ({ url: c.url }));
    plugin.step({ name: "q", resource: db, description: "query", outputSchema: { n: "int64" } }, (config) => Table.fromRows([{ n: config.resource.url.length }]));
    plugin.step({ name: "src", takesInput: false }, () => Table.empty());
    plugin.handler({ name: "h" }, (_c, input) => input);
    plugin.command({ name: "c", mode: "async", clusterTypes: ["k8s"], clusterContext: z.object({ ns: z.string() }) }, () => null);
    const manifest = buildManifest(plugin);
    expect(manifest).toMatchObject({ namespace: "ns", version: "2.0.0", description: "d" });
    expect(manifest.resources.map((r) => r.name)).toEqual(["db"]);
    expect(manifest.steps.map((s) => [s.name, s.takesInput])).toEqual([
      ["q", true],
      ["src", false],
    ]);
    expect(manifest.steps[0]!.resources).toEqual([{ binding: "db", kind: "db", optional: false }]);
    expect(manifest.steps[0]!.outputSchema.length).toBeGreaterThan(0);
    expect(manifest.handlers.map((h) => h.name)).toEqual(["h"]);
    expect(manifest.commands[0]).toMatchObject({ name: "c", mode: ExecutionMode.EXECUTION_MODE_ASYNC, clusterTypes: ["k8s"] });
    expect(JSON.parse(manifest.commands[0]!.clusterContextSchemaJson)).toMatchObject({ required: ["ns"] });
  });
});
