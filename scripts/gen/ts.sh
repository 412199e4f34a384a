#!/usr/bin/env bash
# TypeScript: buf (from npm) + ts-proto with grpc-js services → sdk-ts/src/gen
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$1"
dest="$out/sdk-ts/src/gen"
rm -rf "$dest" && mkdir -p "$dest"
tmpl="$(mktemp --suffix=.yaml)"
trap 'rm -f "$tmpl"' EXIT
sed "s#out: ../sdk-ts/src/gen#out: $dest#" "$root/proto/buf.gen.ts.yaml" > "$tmpl"
(cd "$root/proto" && "$root/node_modules/.bin/buf" generate --template "$tmpl")
