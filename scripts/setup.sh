#!/usr/bin/env bash
# Installs what Stoa needs to build and run (and with --test, to test), skipping what is
# already there at the right version. Every version is pinned here or in a lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Rust toolchain and the wasm target (rust-toolchain.toml pins the version; RUSTUP_AUTO_INSTALL
# may be off, so add the target explicitly).
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen CLI at exactly the version in Cargo.lock (the crate is pinned with `=`).
# Installed without --locked: its own lock file names a webpki-roots the registry lacks.
wbg_version=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3}' Cargo.lock)
if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$wbg_version" ]; then
  say "installing wasm-bindgen-cli $wbg_version (about 2 minutes)"
  cargo install wasm-bindgen-cli --version "$wbg_version" --force
fi

# npm tools (Tailwind CLI, wasm-opt, playwright-core), exactly as package-lock.json says.
if [ ! -x node_modules/.bin/tailwindcss ] || ! cmp -s package-lock.json node_modules/.package-lock-copy.json; then
  say "installing npm packages"
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.package-lock-copy.json
fi

# The Python environment the local hub backend runs JupyterHub from (running the portal with
# local hubs needs it as much as the tests do); skipped while requirements.txt is unchanged.
scripts/hub-env.sh

if [ "$want_test" = 1 ]; then
  # The Stripe API emulator of the billing tests (localstripe, pinned).
  scripts/stripe-env.sh
  # openssl makes throwaway signing keys for the ID-token verification tests.
  for pkg in chromium openssl; do
    command -v "$pkg" >/dev/null && continue
    say "installing $pkg (Debian package)"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "$pkg" >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq "$pkg" >/dev/null; fi
  done
  # The account people's servers run as on local hubs when Stoa runs as root
  # (hubs.local.user_server_user); the tests use it when they run as root.
  if [ "$(id -u)" = 0 ] && ! id stoa-hubuser >/dev/null 2>&1; then
    say "adding the system user stoa-hubuser (people's servers on local hubs)"
    useradd --system --no-create-home --shell /usr/sbin/nologin stoa-hubuser
  fi
  # PostgreSQL for the integration and browser tests: installed, started, or given a test
  # role, as needed (scripts/test.sh asks again and uses the answer).
  scripts/postgres.sh >/dev/null
fi
