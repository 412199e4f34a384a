//! End-to-end tests of the frame lane (protocol §5.5): a real plugin process
//! (this test binary started as the plugin, see `plugin.rs`) called over its
//! `.frames` socket with the SDK's codec, next to gRPC for the handshake,
//! `Cancel` and `Shutdown`, as a host does. `passthrough.rs` also calls it
//! over gRPC `Invoke` and `InvokeStream`: segment pass-through (§8.2) is
//! checked on every lane against the same process.
//!
//! `cargo test --release --test frames -- --ignored --nocapture bench`
//! measures a 1-row echo over frames against gRPC `Invoke` (`bench.rs`).

mod bench;
mod calls;
mod control;
mod passthrough;
mod plugin;
mod support;
