#!/usr/bin/env bash
# Tests of the set-up scripts themselves, on this machine without changing it:
# - scripts/postgres.sh --dry-run on a simulated fresh machine (a PATH without PostgreSQL's
#   programs): it plans apt-get, the cluster, its start and the test role; as a non-root user
#   without sudo, or without apt-get, it stops with a clear message; a bad
#   STOA_TEST_POSTGRES_URL is named with its password masked.
# - scripts/peers.sh: two runs at once get different ports, and stopping one leaves the
#   other running.
# Run by scripts/test.sh before the suite; alone: scripts/test-scripts.sh
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
check() { # description, then a command that must succeed
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAILED: $what" >&2; failures=$((failures + 1)); fi
}

# A PATH with every program of this machine except PostgreSQL's (and, per case, apt-get,
# sudo, or a real `id`).
fake_path() { # folder, programs to leave out...
  local dir=$1 f n
  shift
  mkdir -p "$dir"
  for f in /usr/local/sbin/* /usr/local/bin/* /usr/sbin/* /usr/bin/* /sbin/* /bin/*; do
    n=${f##*/}
    case $n in psql | pg_* | postgres* | initdb | createdb | dropdb) continue ;; esac
    for skip in "$@"; do [ "$n" = "$skip" ] && continue 2; done
    [ -e "$dir/$n" ] || ln -s "$f" "$dir/$n"
  done
}
pg() { # PATH, then arguments for scripts/postgres.sh; output in $tmp/out, status in $tmp/rc
  local path=$1
  shift
  set +e
  env -u STOA_TEST_POSTGRES_URL PATH="$path" HOME="$tmp/home" \
    STOA_TEST_POSTGRES_PASSWORD_FILE="$tmp/home/pw" scripts/postgres.sh "$@" >"$tmp/out" 2>&1
  echo $? >"$tmp/rc"
  set -e
}
has() { grep -qF -- "$1" "$tmp/out"; }
rc() { [ "$(cat "$tmp/rc")" = "$1" ]; }

fake_path "$tmp/fresh"
pg "$tmp/fresh" --dry-run
check "fresh machine, root: exits 0" rc 0
check "fresh machine, root: plans apt-get update" has "would run: apt-get update"
check "fresh machine, root: plans installing postgresql" has "apt-get install -y -qq postgresql"
check "fresh machine, root: plans creating the cluster" has "would run: pg_createcluster"
check "fresh machine, root: plans starting it without systemd" has "pg_ctlcluster --skip-systemctl-redirect"
check "fresh machine, root: plans the test role" has "creating the PostgreSQL role stoa_test"
check "fresh machine, root: names the test role's URL" has "export STOA_TEST_POSTGRES_URL=postgres://stoa_test:"
check "dry run writes no password file" test ! -e "$tmp/home/pw"

fake_path "$tmp/user" id sudo
printf '#!/bin/sh\n[ "$1" = -u ] && { echo 1000; exit 0; }\nexec /usr/bin/id "$@"\n' >"$tmp/user/id"
chmod +x "$tmp/user/id"
pg "$tmp/user" --dry-run
check "not root, no sudo: fails" rc 1
check "not root, no sudo: says it needs root" has "needs root: run this as root or with password-less sudo"

fake_path "$tmp/noapt" apt-get
pg "$tmp/noapt" --dry-run
check "no apt-get: fails" rc 1
check "no apt-get: says so" has "needs apt-get, which this machine lacks"

if command -v psql >/dev/null; then
  set +e
  STOA_TEST_POSTGRES_URL=postgres://nobody:hunter2secret@127.0.0.1:1/postgres scripts/postgres.sh >"$tmp/out" 2>&1
  echo $? >"$tmp/rc"
  set -e
  check "unreachable STOA_TEST_POSTGRES_URL: fails" rc 1
  check "unreachable STOA_TEST_POSTGRES_URL: named, password masked" has "postgres://nobody:***@127.0.0.1:1/postgres"
  check "unreachable STOA_TEST_POSTGRES_URL: password not shown" bash -c "! grep -q hunter2secret '$tmp/out'"
fi

# Two peer runs at once.
unset STOA_PEERS_DIR STOA_PEER_OIDC_PORT STOA_PEER_SMTP_PORT STOA_PEER_MAILDEV_PORT
a=$(scripts/peers.sh start)
b=$(scripts/peers.sh start)
dir_a=$(sed -n 's/^export STOA_PEERS_DIR=//p' <<<"$a")
dir_b=$(sed -n 's/^export STOA_PEERS_DIR=//p' <<<"$b")
issuer_a=$(sed -n 's/^export STOA_TEST_OIDC_ISSUER=//p' <<<"$a")
issuer_b=$(sed -n 's/^export STOA_TEST_OIDC_ISSUER=//p' <<<"$b")
maildev_b=$(sed -n 's/^export STOA_TEST_MAILDEV_URL=//p' <<<"$b")
check "two peer runs: different folders" test "$dir_a" != "$dir_b"
check "two peer runs: different ports" test "$issuer_a" != "$issuer_b"
STOA_PEERS_DIR=$dir_a scripts/peers.sh stop
up() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"; }
down() { ! up "$1"; }
check "stopping run A stops A's provider" down "$issuer_a/.well-known/openid-configuration"
check "stopping run A leaves B's provider running" up "$issuer_b/.well-known/openid-configuration"
check "stopping run A leaves B's mail catcher running" up "$maildev_b/api/healthz"
STOA_PEERS_DIR=$dir_b scripts/peers.sh stop
check "stopping run B stops B's provider" down "$issuer_b/.well-known/openid-configuration"

[ "$failures" = 0 ] || { echo "$failures set-up script checks failed" >&2; exit 1; }
