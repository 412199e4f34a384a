// Files of a new TypeScript plugin (`heddle-host new --lang ts`).
import type { ScaffoldFiles, ScaffoldNames } from "./types.js";

/** The files of a TypeScript plugin named `n.name` with namespace `n.namespace`. */
export function typescriptScaffold(n: ScaffoldNames): ScaffoldFiles {
  return {
    "heddle-plugin.json": JSON.stringify({
      name: n.name,
      version: "0.1.0",
      description: `${n.name}: a Heddle plugin`,
      runtime: "node",
      entrypoint: "plugin.ts",
    }, null, 2) + "\n",
    "plugin.ts": `// ${n.name}: a Heddle plugin. heddle-host transpiles this file itself (no build step).
import { Plugin, Table, z } from "@heddle/sdk";
import { Table as ArrowTable, Utf8, vectorFromArray } from "apache-arrow";

const plugin = new Plugin({ namespace: "${n.namespace}", version: "0.1.0" });

// ${n.namespace}.tag: returns the input with one more utf8 column holding \`value\` on every row.
plugin.step(
  {
    name: "tag",
    description: "adds a constant string column",
    config: z.object({ column: z.string(), value: z.string() }),
  },
  (config, input) => {
    const rows = input.arrow.numRows;
    const column = vectorFromArray(Array.from({ length: rows }, () => config.value), new Utf8());
    return Table.fromArrow(input.arrow.assign(new ArrowTable({ [config.column]: column })));
  },
);

plugin.serve();
`,
    "plugin.test.ts": `// Runs the plugin through the real host: start, describe, call, stop.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tableFromArrays } from "apache-arrow";
import { PluginHost, type LoadedPlugin } from "@heddle/host";

const here = fileURLToPath(new URL(".", import.meta.url));

describe("${n.name}", () => {
  const host = new PluginHost();
  let plugin: LoadedPlugin;
  beforeAll(async () => { plugin = await host.load(here); });
  afterAll(() => host.close());

  it("describes the tag step", () => {
    expect(plugin.manifest.namespace).toBe("${n.namespace}");
    expect(plugin.manifest.steps.map((s) => s.name)).toContain("tag");
  });

  it("adds the column", async () => {
    const input = tableFromArrays({ id: Int32Array.from([1, 2]) });
    const out = await plugin.invoke("tag", { config: { column: "tag", value: "x" }, input });
    expect(out?.toArray().map((r) => r.toJSON())).toEqual([{ id: 1, tag: "x" }, { id: 2, tag: "x" }]);
  });
});
`,
    "vitest.config.ts": `// Keeps vitest to this folder's tests even inside a bigger repository.
import { defineConfig } from "vitest/config";

export default defineConfig({ test: { include: ["*.test.ts"], testTimeout: 30_000, hookTimeout: 60_000 } });
`,
    "README.md": `# ${n.name}

A Heddle plugin in TypeScript (namespace \`${n.namespace}\`).

- \`plugin.ts\`: the plugin; \`heddle-plugin.json\`: how heddle-host starts it.
- Describe it: \`heddle-host describe .\`
- Call it: \`echo '[{"id":1}]' | heddle-host call . ${n.namespace}.tag --config '{"column":"tag","value":"x"}' --input -\`
- Develop with live restarts: \`heddle-host dev .\`
- Test: \`npx vitest run\` (needs \`@heddle/host\`, \`@heddle/sdk\`, \`apache-arrow\` and \`vitest\` installed where node can find them).
`,
  };
}
