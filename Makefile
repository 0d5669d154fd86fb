# Stoa's task runner. `make help` lists the targets.
#
# The site is built with the plain recipe (cargo + wasm-bindgen + Tailwind CLI), which needs
# no cargo-leptos: installing cargo-leptos takes ~20 minutes on 2 cores and it tries to
# download helper binaries this network cannot reach. `cargo leptos watch` still works for
# those who install it (see README).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/{getline; gsub(/"/,"",$$3); print $$3}' Cargo.lock)
SITE := target/site
STAGE := target/site-stage
WASM := target/wasm32-unknown-unknown/wasm-release/stoa_frontend.wasm
STOA := target/debug/stoa
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: help setup setup-test build site site-release site-stage server dev run seed test test-rust test-e2e lint fmt bench clean

help: ## Show this help
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  make %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: ## Install what building and running needs (wasm target, wasm-bindgen, npm tools)
	@scripts/setup.sh

setup-test: ## Also install what the tests need (Chromium)
	@scripts/setup.sh --test

site: site-stage ## Build the browser side into target/site (hashed wasm, JS, CSS + .br/.gz; public files)
	@node scripts/site-assets.mjs $(STAGE) $(SITE) >/dev/null
	cp -R public/. $(SITE)/

site-release: site-stage ## Build the site and optimise the wasm with wasm-opt (npm binaryen)
	wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int $(STAGE)/pkg/stoa_bg.wasm -o $(STAGE)/pkg/stoa_bg.wasm
	@node scripts/site-assets.mjs $(STAGE) $(SITE) >/dev/null
	cp -R public/. $(SITE)/

# wasm-bindgen and Tailwind write plain names into the stage; scripts/site-assets.mjs then
# gives the site content-hashed names and precompressed copies (see server/src/assets.rs).
site-stage:
	cargo build -p stoa_frontend --target wasm32-unknown-unknown --profile wasm-release
	@mkdir -p $(STAGE)/pkg
	wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
	  --out-dir $(STAGE)/pkg --out-name stoa $(WASM)
	tailwindcss -i style/main.css -o $(STAGE)/pkg/stoa.css --minify 2>/dev/null

server: ## Build the stoa binary (debug)
	cargo build -p stoa_server

build: site server ## Build the site and the server

dev: setup build ## Install, build and run the portal on http://127.0.0.1:3000 (DEMO=1 adds demo data)
	@if [ "$${DEMO:-0}" = 1 ]; then $(STOA) seed --demo --apply 3; fi
	$(STOA) serve

run: dev

seed: server ## Add the demo data to the configured database
	$(STOA) seed --demo

test: setup-test build ## Run every test: unit, integration (SQLite + PostgreSQL), end-to-end
	@scripts/test.sh

test-rust: ## Unit and integration tests only (needs PostgreSQL and `eval "$$(scripts/peers.sh start)"`)
	cargo test --workspace --exclude stoa_frontend

test-e2e: build ## Browser tests only (Playwright + Chromium)
	node --test --test-concurrency=1 end2end/tests/

lint: ## Formatting and clippy, warnings as errors
	cargo fmt --all -- --check
	cargo clippy --workspace --exclude stoa_frontend --all-targets -- -D warnings
	cargo clippy -p stoa_frontend --target wasm32-unknown-unknown -- -D warnings

fmt: ## Format the code
	cargo fmt --all

bench: setup ## Release build and benchmarks (figures, no assertions)
	@bench/run.sh

clean: ## Remove build output
	cargo clean
	rm -rf node_modules
