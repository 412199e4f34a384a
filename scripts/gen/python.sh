#!/usr/bin/env bash
# Python: grpcio-tools → sdk-python/heddle/plugin (import path heddle.plugin.v1)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$1"
python="${HEDDLE_PYTHON:-$root/.venv/bin/python}"
dest="$out/sdk-python"
mkdir -p "$dest"
rm -rf "$dest/heddle/plugin"
(cd "$root" && "$python" -m grpc_tools.protoc -I proto \
  --python_out="$dest" --pyi_out="$dest" --grpc_python_out="$dest" \
  proto/heddle/plugin/v1/*.proto)
touch "$dest/heddle/plugin/__init__.py" "$dest/heddle/plugin/v1/__init__.py"
