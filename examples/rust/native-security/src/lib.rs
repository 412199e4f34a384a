//! The `security` plugin (vault resource + hash step) built as a cdylib and
//! loaded into the host process (runtime `"native"`). The step and resource
//! code is the out-of-process example's, unchanged: only the entry differs
//! (`export_plugin!` instead of `serve()`).

#[path = "../../security/src/hash.rs"]
mod hash;
#[path = "../../security/src/vault.rs"]
mod vault;

use heddle::{Plugin, StepOptions};

fn build_plugin() -> Plugin {
    let mut plugin = Plugin::new("security")
        .version("0.1.0")
        .description("Password hashing with a vault-held pepper (in-process)");
    plugin.resource("vault", vault::open);
    plugin.step(
        StepOptions::new("hash")
            .description(
                "hash the password column with the vault's API key as pepper; outputs id and hash",
            )
            .resource("vault", "vault")
            .input_schema(hash::credentials_schema())
            .output_schema(hash::secure_schema()),
        hash::hash_step,
    );
    plugin
}

heddle::export_plugin!(build_plugin);
