//! The seed's `security` plugin, in Rust: a `vault` resource holding an API
//! key, and a `hash` step that turns a table of `id` + `password` into
//! `id` + `hash`, peppering each password with the vault's key.

mod hash;
mod vault;

use heddle::{Plugin, StepOptions};

fn plugin() -> Plugin {
    let mut plugin = Plugin::new("security")
        .version("0.1.0")
        .description("Password hashing with a vault-held pepper");
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

fn main() {
    plugin().serve()
}
