// Files of a new Go plugin (`heddle-host new --lang go`). The SDK is not on a
// public module proxy yet, so go.mod points at this checkout's sdk-go with a
// `replace`, and pins the SDK's own dependency versions (its go.sum is copied),
// so the first build needs no dependency resolution.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ScaffoldFiles, ScaffoldNames } from "./types.js";

/** The files of a Go plugin; `sdkDir` is the sdk-go folder of this checkout. */
export function goScaffold(n: ScaffoldNames, sdkDir: string): ScaffoldFiles {
  const sdkMod = readFileSync(join(sdkDir, "go.mod"), "utf8");
  const goLine = /^go .+$/m.exec(sdkMod)?.[0] ?? "go 1.26.0";
  // Every require of the SDK becomes an indirect require of the plugin.
  const requires = [...sdkMod.matchAll(/^\s+(\S+) (v\S+)/gm)]
    .filter(([, mod]) => mod !== "github.com/apache/arrow-go/v18")
    .map(([, mod, ver]) => `\t${mod} ${ver} // indirect`);
  const arrowVersion = /github\.com\/apache\/arrow-go\/v18 (v\S+)/.exec(sdkMod)?.[1] ?? "v18.8.0";
  return {
    "heddle-plugin.json": JSON.stringify({
      name: n.name, version: "0.1.0", description: `${n.name}: a Heddle plugin`, runtime: "go", entrypoint: ".",
    }, null, 2) + "\n",
    "go.mod": `module example.com/${n.name}

${goLine}

require (
\tgithub.com/apache/arrow-go/v18 ${arrowVersion}
\tgithub.com/heddle-host/heddle/sdk-go v0.0.0
)

require (
${requires.join("\n")}
)

replace github.com/heddle-host/heddle/sdk-go => ${sdkDir}
`,
    "go.sum": readFileSync(join(sdkDir, "go.sum"), "utf8"),
    "main.go": `// Command ${n.name} is a Heddle plugin (namespace "${n.namespace}").
package main

import (
\t"github.com/apache/arrow-go/v18/arrow"
\t"github.com/apache/arrow-go/v18/arrow/array"
\t"github.com/apache/arrow-go/v18/arrow/memory"
\t"github.com/heddle-host/heddle/sdk-go/heddle"
)

// TagConfig configures the tag step.
type TagConfig struct {
\tColumn string \`json:"column" heddle:"required,minLength=1" description:"name of the new column"\`
\tValue  string \`json:"value" heddle:"required" description:"value on every row"\`
}

// tag returns the input with one more utf8 column holding Value on every row.
func tag(_ *heddle.StepContext, cfg TagConfig, input *heddle.Table) (*heddle.Table, error) {
\tfield := arrow.Field{Name: cfg.Column, Type: arrow.BinaryTypes.String}
\tchunks, err := input.MapColumn(field, func(b arrow.RecordBatch) (arrow.Array, error) {
\t\tout := array.NewStringBuilder(memory.DefaultAllocator)
\t\tdefer out.Release()
\t\tfor i := int64(0); i < b.NumRows(); i++ {
\t\t\tout.Append(cfg.Value)
\t\t}
\t\treturn out.NewArray(), nil
\t})
\tif err != nil {
\t\treturn nil, err
\t}
\treturn input.AddColumn(field, chunks)
}

func main() {
\tplugin := heddle.NewPlugin(heddle.Info{Namespace: "${n.namespace}", Version: "0.1.0"})
\theddle.Step(plugin, "tag", tag, heddle.Description("adds a utf8 column holding a constant"))
\tplugin.Serve()
}
`,
    "README.md": `# ${n.name}

A Heddle plugin in Go (namespace \`${n.namespace}\`). heddle-host builds it on first start (cached by a hash of its sources).

- Describe it: \`heddle-host describe .\`
- Call it: \`echo '[{"id":1}]' | heddle-host call . ${n.namespace}.tag --config '{"column":"tag","value":"x"}' --input -\`
- Develop with live restarts: \`heddle-host dev .\`
`,
  };
}
