#!/usr/bin/env bash
# Rust: buf (from npm) builds a FileDescriptorSet from proto/, then the small
# generator crate sdk-rust/codegen (tonic-prost-build, no protoc) turns it into
# sdk-rust/src/gen. The SDK crate compiles the committed output as it is.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$1"
dest="$out/sdk-rust/src/gen"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/heddle/cargo-target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$root/node_modules/.bin/buf" build "$root/proto" -o "$work/heddle.binpb"
cargo build --quiet --locked --manifest-path "$root/sdk-rust/codegen/Cargo.toml"
rm -rf "$dest" && mkdir -p "$dest"
"$CARGO_TARGET_DIR/debug/heddle-sdk-codegen" "$work/heddle.binpb" "$dest"
