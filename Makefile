# Heddle Host — the two commands a fresh machine needs are `make run` and `make test`.
# Everything they need is installed here; nothing relies on what was installed by hand.

SHELL := /bin/bash
ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
STAMPS := $(ROOT)/.make
export HEDDLE_HOME ?= $(ROOT)/.heddle-home
export CARGO_TARGET_DIR ?= $(HOME)/.cache/heddle/cargo-target
export GOBIN := $(ROOT)/.tools/bin
export PATH := $(GOBIN):$(PATH)

.PHONY: all deps native node-deps python-deps go-deps rust-deps build test run bench gen gen-check clean

all: build

$(STAMPS):
	@mkdir -p $(STAMPS)

# --- dependencies -----------------------------------------------------------
node-deps: $(STAMPS)/node
$(STAMPS)/node: package.json package-lock.json $(wildcard */package.json) | $(STAMPS)
	npm install --no-audit --no-fund --prefer-offline --loglevel=error
	@touch $@

python-deps: $(STAMPS)/python
$(STAMPS)/python: sdk-python/pyproject.toml | $(STAMPS)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e 'sdk-python[test]' grpcio-tools==1.85.1
	@# Bytecode for the editable SDK: with PYTHONDONTWRITEBYTECODE set, plugins would recompile it at every start.
	$(PY) -m compileall -q sdk-python/heddle
	@touch $@

go-deps: $(STAMPS)/go
$(STAMPS)/go: $(wildcard sdk-go/go.mod sdk-go/go.sum) | $(STAMPS)
	@if [ -f sdk-go/go.mod ]; then cd sdk-go && go mod download; fi
	@touch $@

rust-deps: $(STAMPS)/rust
$(STAMPS)/rust: $(wildcard sdk-rust/Cargo.toml sdk-rust/Cargo.lock) | $(STAMPS)
	@if [ -f sdk-rust/Cargo.toml ]; then cd sdk-rust && cargo fetch --quiet; fi
	@touch $@

native: $(STAMPS)/native
$(STAMPS)/native: $(wildcard native/src/*.c native/src/*.h native/include/*.h) native/binding.gyp $(STAMPS)/node
	cd native && npx node-gyp rebuild --loglevel=error >/dev/null
	@touch $@

deps: node-deps python-deps go-deps rust-deps native

# --- build ------------------------------------------------------------------
build: deps
	npx tsc -b
	@# Release builds of the Rust plugins the tests start (the host then finds them fresh in CARGO_TARGET_DIR).
	@if [ -f sdk-rust/Cargo.toml ]; then cd sdk-rust && cargo build --release --workspace --bins --quiet; fi

gen: deps
	bash scripts/gen-proto.sh

gen-check: deps
	bash scripts/gen-proto.sh --check

# --- the two commands -------------------------------------------------------
test: build
	bash scripts/test-all.sh

run: build
	node scripts/demo.mjs

bench: build
	node bench/run.mjs

clean:
	rm -rf $(STAMPS) node_modules */node_modules */dist $(VENV) $(HEDDLE_HOME)
