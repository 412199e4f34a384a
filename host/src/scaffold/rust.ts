// Files of a new Rust plugin (`heddle-host new --lang rust`). The SDK crate is
// not on crates.io yet, so Cargo.toml depends on this checkout's sdk-rust by
// path, and the SDK's Cargo.lock is copied so dependency versions (and an
// exported CARGO_TARGET_DIR's compiled artifacts) are shared.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ScaffoldFiles, ScaffoldNames } from "./types.js";

/** The files of a Rust plugin; `sdkDir` is the sdk-rust folder of this checkout. */
export function rustScaffold(n: ScaffoldNames, sdkDir: string): ScaffoldFiles {
  const crate = n.name.replace(/[^a-z0-9_-]/g, "-");
  return {
    "heddle-plugin.json": JSON.stringify({
      name: n.name, version: "0.1.0", description: `${n.name}: a Heddle plugin`, runtime: "rust", entrypoint: ".",
    }, null, 2) + "\n",
    "Cargo.toml": `[package]
name = "${crate}"
version = "0.1.0"
edition = "2021"
publish = false

# A workspace of its own, so it builds wherever the folder is.
[workspace]

[dependencies]
heddle-sdk = { path = ${JSON.stringify(sdkDir)} }
serde = { version = "1", features = ["derive"] }
schemars = "1"
`,
    "Cargo.lock": readFileSync(join(sdkDir, "Cargo.lock"), "utf8"),
    "src/main.rs": `//! ${n.name}: a Heddle plugin (namespace \`${n.namespace}\`).
use std::sync::Arc;

use heddle::arrow_array::{ArrayRef, StringArray};
use heddle::{HeddleError, Plugin, StepContext, StepOptions, Table};
use schemars::JsonSchema;
use serde::Deserialize;

/// Configures the tag step.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct TagConfig {
    /// Name of the new column.
    column: String,
    /// Value on every row.
    value: String,
}

/// Returns the input with one more utf8 column holding \`value\` on every row.
fn tag(config: TagConfig, input: Table, _ctx: &StepContext) -> Result<Table, HeddleError> {
    let batch = input.to_batch()?;
    let mut columns: Vec<(String, ArrayRef)> = batch
        .schema()
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(f, c)| (f.name().clone(), c.clone()))
        .collect();
    let values: ArrayRef = Arc::new(StringArray::from(vec![config.value.as_str(); batch.num_rows()]));
    columns.push((config.column, values));
    Table::from_columns(columns)
}

fn main() {
    let mut plugin = Plugin::new("${n.namespace}").version("0.1.0");
    plugin.step(StepOptions::new("tag").description("adds a utf8 column holding a constant"), tag);
    plugin.serve()
}
`,
    "README.md": `# ${n.name}

A Heddle plugin in Rust (namespace \`${n.namespace}\`). heddle-host builds it with cargo on first start (cached by a hash of its sources).

- Describe it: \`heddle-host describe .\`
- Call it: \`echo '[{"id":1}]' | heddle-host call . ${n.namespace}.tag --config '{"column":"tag","value":"x"}' --input -\`
- Develop with live restarts: \`heddle-host dev .\`
`,
  };
}
