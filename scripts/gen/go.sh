#!/usr/bin/env bash
# Go: buf (from npm) + protoc-gen-go + protoc-gen-go-grpc → sdk-go/gen
# (package pluginv1, import path github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1).
# The two protoc plugins are pinned and installed into .tools/bin when missing
# or of another version, so every machine generates byte-identical code.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$1"
dest="$out/sdk-go/gen"

protoc_gen_go_version="v1.36.12"
protoc_gen_go_grpc_version="v1.6.1"
bin="$root/.tools/bin"
mkdir -p "$bin"

installed_version() { # <binary> → its reported version, or nothing
  [ -x "$1" ] && "$1" --version 2>/dev/null | awk '{print $NF}' || true
}
if [ "$(installed_version "$bin/protoc-gen-go")" != "$protoc_gen_go_version" ]; then
  GOBIN="$bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$protoc_gen_go_version"
fi
if [ "$(installed_version "$bin/protoc-gen-go-grpc")" != "${protoc_gen_go_grpc_version#v}" ]; then
  GOBIN="$bin" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$protoc_gen_go_grpc_version"
fi

rm -rf "$dest" && mkdir -p "$dest"
tmpl="$(mktemp --suffix=.yaml)"
trap 'rm -f "$tmpl"' EXIT
sed -e "s#out: ../sdk-go/gen#out: $dest#" \
    -e "s#local: ../.tools/bin/#local: $bin/#" \
    "$root/proto/buf.gen.go.yaml" > "$tmpl"
(cd "$root/proto" && "$root/node_modules/.bin/buf" generate --template "$tmpl")
