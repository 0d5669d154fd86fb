#!/usr/bin/env bash
# Runs every test: Rust unit and integration tests (SQLite and PostgreSQL), then the browser
# tests. Expects `make build` to have run (the Makefile's `test` target does it).
set -euo pipefail
cd "$(dirname "$0")/.."

pg_url=${STOA_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if ! pg_isready -q -d "$pg_url" 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null; then
    echo "==> starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
    for _ in $(seq 50); do pg_isready -q -d "$pg_url" && break; sleep 0.2; done
  fi
fi
if ! pg_isready -q -d "$pg_url" 2>/dev/null; then
  echo "PostgreSQL is not reachable at $pg_url: start it or set STOA_TEST_POSTGRES_URL (see README)." >&2
  exit 1
fi

echo "==> starting the test peers (OpenID provider, mail catcher)"
eval "$(scripts/peers.sh start)"
trap 'scripts/peers.sh stop' EXIT

echo "==> Rust tests (unit, store and integration; SQLite and PostgreSQL)"
# One test at a time: each integration test starts a whole Stoa server, and Leptos keeps
# process-wide state; dozens of servers rendering at once in one test process occasionally
# stalled a render until the request timeout (never seen with one server per process, as in
# production, under wrk load). Sequential, the suite takes ~30 s.
cargo test --workspace --exclude stoa_frontend -- --test-threads=1

echo "==> browser tests (Playwright + Chromium)"
node --test --test-concurrency=1 end2end/tests/
