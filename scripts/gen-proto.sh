#!/usr/bin/env bash
# The one entry point that turns proto/ into every SDK's generated code.
# Each language's generator lives in scripts/gen/<lang>.sh and writes below the
# output root it is given. The output is committed; `--check` regenerates into a
# scratch root and fails when the committed code has drifted from the .proto files.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

check=0
[ "${1:-}" = "--check" ] && check=1

out="$root"
if [ $check = 1 ]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
fi

# lang → generated folder (relative to the root), compared by --check.
declare -A targets=(
  [ts]="sdk-ts/src/gen"
  [python]="sdk-python/heddle/plugin"
  [go]="sdk-go/gen"
  [rust]="sdk-rust/src/gen"
)

status=0
for lang in ts python go rust; do
  script="scripts/gen/$lang.sh"
  [ -f "$script" ] || continue
  bash "$script" "$out"
  if [ $check = 1 ]; then
    if ! diff -r -x __pycache__ "$out/${targets[$lang]}" "${targets[$lang]}" >/dev/null; then
      echo "drift: ${targets[$lang]} differs from what proto/ generates" >&2
      diff -r -x __pycache__ "$out/${targets[$lang]}" "${targets[$lang]}" | head -20 >&2 || true
      status=1
    fi
  fi
done

if [ $check = 1 ]; then
  if [ $status != 0 ]; then
    echo "generated code drifted from proto/: run 'npm run gen' and commit the result" >&2
    exit 1
  fi
  echo "generated code matches proto/"
fi
