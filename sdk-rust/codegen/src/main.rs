//! heddle-sdk-codegen: writes the Rust SDK's generated protocol code.
//!
//! Usage: `heddle-sdk-codegen <descriptor-set.binpb> <out-dir>`
//!
//! The descriptor set comes from `buf build proto` (no protoc needed), so the
//! SDK crate itself never runs code generation at build time. The output is
//! deterministic: running it twice on the same protos gives identical bytes,
//! which `scripts/gen-proto.sh --check` relies on.
//! Fails (exit 1) when the descriptor set cannot be read or decoded, or the
//! output folder cannot be written.

use prost::Message;
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: heddle-sdk-codegen <descriptor-set.binpb> <out-dir>");
        std::process::exit(2);
    }
    if let Err(err) = generate(PathBuf::from(&args[1]), PathBuf::from(&args[2])) {
        eprintln!("heddle-sdk-codegen: {err}");
        std::process::exit(1);
    }
}

fn generate(descriptor_path: PathBuf, out_dir: PathBuf) -> Result<(), String> {
    let raw = std::fs::read(&descriptor_path)
        .map_err(|e| format!("cannot read {}: {e}", descriptor_path.display()))?;
    let descriptors = prost_types::FileDescriptorSet::decode(raw.as_slice())
        .map_err(|e| format!("{} is not a FileDescriptorSet: {e}", descriptor_path.display()))?;
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .build_transport(true)
        // bytes::Bytes for `bytes` fields: Arrow IPC payloads are decoded
        // without copying them out of the gRPC frame.
        .bytes(".")
        .include_file("mod.rs")
        .emit_rerun_if_changed(false)
        .out_dir(&out_dir)
        .compile_fds(descriptors)
        .map_err(|e| format!("code generation failed: {e}"))
}
