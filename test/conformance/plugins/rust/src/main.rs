//! The Rust SDK's conformance plugin: exactly the `conformance` namespace of
//! test/conformance/README.md. The host builds this crate (runtime "rust")
//! and runs the binary.

mod command;
mod failures;
mod resources;
mod steps;
mod tables;

use heddle::Plugin;

/// The whole plugin, every component registered.
fn plugin() -> Plugin {
    let mut plugin = Plugin::new("conformance")
        .version("1.0.0")
        .description("Cases every Heddle SDK must pass identically");
    resources::register(&mut plugin);
    steps::register(&mut plugin);
    command::register(&mut plugin);
    plugin
}

fn main() {
    plugin().serve()
}
