#!/usr/bin/env bash
# Makes sure the tests have a PostgreSQL server they may create databases on, and prints the
# line the tests read: `export STOA_TEST_POSTGRES_URL=…` (everything else goes to stderr).
#   pg_env=$(scripts/postgres.sh) && eval "$pg_env"
#   scripts/postgres.sh --dry-run    # print what it would install, create or start; change nothing
#
# In order, the first that works:
# 1. STOA_TEST_POSTGRES_URL when set: used as it is (never changed, only checked).
# 2. postgres@127.0.0.1 without a password (trust), as on a developer machine.
# 3. The local server, installed from Debian packages if missing (apt-get, as root or with
#    sudo), its cluster created and started if needed, and a dedicated role `stoa_test`
#    (LOGIN CREATEDB, no superuser) with a random password kept in
#    ~/.config/stoa/test-postgres-password (mode 600).
#
# Why a role rather than switching 127.0.0.1 to trust in pg_hba.conf: it leaves the
# server's authentication exactly as the distribution (or the administrator) set it, Debian's
# default (scram-sha-256 over TCP) works unchanged, and the suite proves it needs no
# superuser, as Stoa's own role in production has none. The password is stable (kept in the
# file), so two runs at once agree on it.
set -euo pipefail

dry=0
case "${1:-}" in
  --dry-run) dry=1 ;;
  "") ;;
  *) echo "usage: $0 [--dry-run]" >&2; exit 2 ;;
esac

ROLE=stoa_test
DEFAULT_URL=postgres://postgres@127.0.0.1:5432/postgres
PASSWORD_FILE=${STOA_TEST_POSTGRES_PASSWORD_FILE:-${HOME:-/root}/.config/stoa/test-postgres-password}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
# The URL with its password masked, for messages.
redact() { sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#' <<<"$1"; }
# Runs a command, or with --dry-run only says it would.
run() {
  if [ "$dry" = 1 ]; then say "would run: $*"; else "$@"; fi
}
# Runs a command as root: directly, or through sudo (without a password prompt: CI has no
# one to type it).
as_root() {
  if [ "$(id -u)" = 0 ]; then
    run "$@"
  elif command -v sudo >/dev/null && { [ "$dry" = 1 ] || sudo -n true 2>/dev/null; }; then
    run sudo -n "$@"
  else
    die "$why needs root: run this as root or with password-less sudo, or install PostgreSQL yourself and set STOA_TEST_POSTGRES_URL=postgres://USER:PASSWORD@HOST:PORT/postgres (a role that may CREATE DATABASE)"
  fi
}
# Runs a command as the `postgres` system user (peer authentication on the local socket).
as_postgres() {
  if [ "$(id -u)" = 0 ]; then run runuser -u postgres -- "$@"; else as_root -u postgres "$@"; fi
}
# True when `$1` connects and may create databases (what the tests do first). Also in a dry
# run: it only reads.
usable() {
  command -v psql >/dev/null || return 1
  [ "$(PGCONNECT_TIMEOUT=5 psql "$1" -XqAtc \
    'SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user' 2>/dev/null)" = t ]
}
emit() { printf 'export STOA_TEST_POSTGRES_URL=%q\n' "$1"; }

apt_install() {
  why="installing $* (Debian packages)"
  command -v apt-get >/dev/null \
    || die "$why needs apt-get, which this machine lacks: install PostgreSQL yourself and set STOA_TEST_POSTGRES_URL=postgres://USER:PASSWORD@HOST:PORT/postgres"
  say "$why"
  as_root apt-get update -qq \
    || die "apt-get update failed (no network or package mirror?): install PostgreSQL yourself and set STOA_TEST_POSTGRES_URL, or retry"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" \
    || die "apt-get install $* failed (see above): install PostgreSQL yourself and set STOA_TEST_POSTGRES_URL, or retry"
}

# 1. An explicit server.
if [ -n "${STOA_TEST_POSTGRES_URL:-}" ]; then
  command -v psql >/dev/null || apt_install postgresql-client
  usable "$STOA_TEST_POSTGRES_URL" \
    || die "cannot connect to STOA_TEST_POSTGRES_URL=$(redact "$STOA_TEST_POSTGRES_URL") as a role that may create databases (psql said: $(psql "$STOA_TEST_POSTGRES_URL" -XqAtc 'SELECT 1' 2>&1 >/dev/null | head -1))"
  emit "$STOA_TEST_POSTGRES_URL"
  exit 0
fi

# 2. A developer machine that already allows it.
if usable "$DEFAULT_URL"; then
  emit "$DEFAULT_URL"
  exit 0
fi

# 3. The local server: installed, with a cluster, running.
if ! command -v pg_lsclusters >/dev/null || ! command -v psql >/dev/null \
  || ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  apt_install postgresql
fi
cluster=$(pg_lsclusters -h 2>/dev/null | sort -k3,3n | awk '$3 == 5432 {print; exit}' || true)
[ -n "$cluster" ] || cluster=$(pg_lsclusters -h 2>/dev/null | head -1 || true)
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1)
  [ -n "$version" ] || version=VERSION
  why="creating a PostgreSQL cluster"
  say "$why ($version/main)"
  as_root pg_createcluster "$version" main
  cluster="$version main 5432 down"
fi
read -r version name port status _ <<<"$cluster"
if [ "$status" != online ]; then
  why="starting PostgreSQL $version/$name"
  say "$why"
  # --skip-systemctl-redirect: containers and CI machines often run without systemd.
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start
  if [ "$dry" = 0 ]; then
    for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 0.2; done
    pg_isready -q -h 127.0.0.1 -p "$port" \
      || die "PostgreSQL $version/$name did not start on port $port: see /var/log/postgresql/postgresql-$version-$name.log"
  fi
fi

local_default=postgres://postgres@127.0.0.1:$port/postgres
if usable "$local_default"; then
  emit "$local_default"
  exit 0
fi

# The dedicated role.
if [ ! -s "$PASSWORD_FILE" ]; then
  say "making a password for the PostgreSQL role $ROLE in $PASSWORD_FILE"
  if [ "$dry" = 0 ]; then
    mkdir -p "$(dirname "$PASSWORD_FILE")"
    # Written to a temporary file and renamed: a run starting at the same moment reads
    # either no file or a whole one. Hex, so that it needs no escaping in a URL or in SQL.
    (umask 077 && od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$PASSWORD_FILE.$$")
    mv -n "$PASSWORD_FILE.$$" "$PASSWORD_FILE"
    rm -f "$PASSWORD_FILE.$$"
  fi
fi
password=$( [ "$dry" = 1 ] && [ ! -s "$PASSWORD_FILE" ] && echo PASSWORD || cat "$PASSWORD_FILE")
role_url=postgres://$ROLE:$password@127.0.0.1:$port/postgres
if ! usable "$role_url"; then
  why="creating the PostgreSQL role $ROLE"
  say "$why (LOGIN CREATEDB, password from $PASSWORD_FILE)"
  # On standard input, not the command line, so the password is not in `ps`.
  sql="DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
      CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$password';
    ELSE
      ALTER ROLE $ROLE LOGIN CREATEDB PASSWORD '$password';
    END IF;
  END \$\$;"
  if [ "$dry" = 1 ]; then
    as_postgres psql -p "$port" -XqAt -v ON_ERROR_STOP=1 -f -
  else
    as_postgres psql -p "$port" -XqAt -v ON_ERROR_STOP=1 -f - <<<"$sql" >/dev/null
    usable "$role_url" \
      || die "the role $ROLE cannot connect to 127.0.0.1:$port with its password: check that pg_hba.conf allows password (scram-sha-256 or md5) connections from 127.0.0.1, or set STOA_TEST_POSTGRES_URL"
  fi
fi
emit "$role_url"
