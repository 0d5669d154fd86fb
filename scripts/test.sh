#!/usr/bin/env bash
# Runs every test: Rust unit and integration tests (SQLite and PostgreSQL), then the browser
# tests, then the log-hygiene scan of every server log the suite produced. Expects `make
# build` to have run (the Makefile's `test` target does it).
set -euo pipefail
cd "$(dirname "$0")/.."

# The set-up scripts' own tests (simulated fresh machine, two peer runs at once).
scripts/test-scripts.sh >/dev/null

# PostgreSQL: the server named by STOA_TEST_POSTGRES_URL, or the local one, installed,
# started and given a test role when missing (scripts/postgres.sh explains the choices).
# Assigned first, then eval'd: `eval "$(…)"` would ignore a failure of the script.
pg_env=$(scripts/postgres.sh)
eval "$pg_env"

# This run's log folder: every server the tests start writes its whole log here, checked
# at the end. One folder per run, so a run (or a warm CI cache) never sees another's logs.
export STOA_TEST_LOG_DIR="$PWD/target/test-logs/$(date -u +%Y%m%dT%H%M%SZ)-$$"
mkdir -p "$STOA_TEST_LOG_DIR"
# Runs older than a week go.
find target/test-logs -mindepth 1 -maxdepth 1 -type d -mtime +7 -exec rm -rf {} + 2>/dev/null || true

echo "==> starting the test peers (OpenID provider, mail catcher) on free ports"
peers_env=$(scripts/peers.sh start)
eval "$peers_env"
trap 'scripts/peers.sh stop' EXIT
echo "$peers_env" | sed 's/^export /    /'

echo "==> Rust tests (unit, store and integration; SQLite and PostgreSQL), in parallel"
# Each integration test starts a whole Stoa server in this process. They used to run one at a
# time because a render occasionally stalled until the request timeout: building a server
# generates Leptos's route list with resource loading switched off process-wide, which
# froze the resources of any page another server was rendering at that moment. Routes are
# now generated once per process (server/src/startup.rs, tested by
# server/tests/api/parallel.rs). Test servers run no background worker of their own
# (`run_jobs = false`): tests run its passes when they choose, so no thread count makes a
# job run before a test looks for it.
cargo test --workspace --exclude stoa_frontend

echo "==> browser tests (Playwright + Chromium)"
node --test --test-concurrency=1 end2end/tests/

echo "==> log hygiene: no address, token, session id or secret in any server log of this run"
# Every mail maildev received: the tokens in their links are what the logs must not hold.
node -e 'fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(t))' \
  "$STOA_TEST_MAILDEV_URL/api/email" >"$STOA_TEST_LOG_DIR/mail.json"
# Same package selection as the suite above, so cargo reuses its build (with `-p stoa_server`
# feature unification differs and the app and server compile again, over a minute).
STOA_TEST_LOG_EXPECT=api,cli,e2e \
  cargo test --workspace --exclude stoa_frontend --test log_hygiene -- --ignored
echo "    logs of this run: $STOA_TEST_LOG_DIR"
