#!/usr/bin/env bash
# Runs every suite of the repo (unit tests of each package, the cross-language
# conformance suite, fixture scenarios, codegen drift) and ends with one line
# "N passed, N failed". Each runner writes a machine-readable report into
# test-results/; scripts/test-summary.mjs adds them up.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
results="$root/test-results"
rm -rf "$results" && mkdir -p "$results"
py="$root/.venv/bin/python"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/heddle/cargo-target}"

suite() { # name, command...
  local name="$1"; shift
  echo "=== $name"
  local start=$SECONDS
  "$@"
  local rc=$?
  echo "$rc" > "$results/$name.rc"
  echo "=== $name: exit $rc in $((SECONDS - start)) s"
}

vitest_suite() { # workspace
  suite "vitest-$1" npx vitest run --root "$1" --reporter=default --reporter=json --outputFile.json="$results/vitest-$1.json"
}

suite node-test-native bash -c "cd native && node --test --test-reporter=tap test/ > '$results/node-test-native.tap'; rc=\$?; grep -E '^# (pass|fail)' '$results/node-test-native.tap'; exit \$rc"

for ws in sdk-ts host registry test; do
  [ -d "$ws/test" ] || [ -f "$ws/vitest.config.ts" ] || ls "$ws"/*.test.ts >/dev/null 2>&1 || continue
  vitest_suite "$ws"
done

if [ -d sdk-python/tests ]; then
  suite pytest "$py" -m pytest sdk-python -q -p no:cacheprovider --junitxml="$results/pytest.xml"
fi

if [ -f sdk-go/go.mod ]; then
  suite go-test bash -c "cd sdk-go && go test -json -count=1 ./... > '$results/go-test.jsonl'; rc=\$?; grep -h '\"Action\":\"fail\"' '$results/go-test.jsonl' | head -20; exit \$rc"
fi

if [ -f sdk-rust/Cargo.toml ]; then
  suite cargo-test bash -c "cd sdk-rust && cargo test --quiet 2>&1 | tee '$results/cargo-test.txt'; exit \${PIPESTATUS[0]}"
fi

node scripts/test-summary.mjs "$results"
