#!/usr/bin/env bash
# Starts or stops the test peers: the OpenID provider (oidc-provider) and the mail catcher
# (maildev), bound to 127.0.0.1 on free ports (or on STOA_PEER_OIDC_PORT, STOA_PEER_SMTP_PORT,
# STOA_PEER_MAILDEV_PORT when set). Each start gets its own folder, target/peers/run.XXXXXX,
# holding its pids, logs and mail, so two runs at once (two checkouts, or two CI jobs that
# share a build cache) never stop each other's peers. Prints the environment the tests read.
#   eval "$(scripts/peers.sh start)"   # exports STOA_TEST_* and STOA_PEERS_DIR
#   scripts/peers.sh stop              # the peers of $STOA_PEERS_DIR (default: this checkout's last start)
#   scripts/peers.sh env               # the lines `start` printed, again
set -euo pipefail
cd "$(dirname "$0")/.."
base=$PWD/target/peers
mkdir -p "$base"

env_lines() {
  # shellcheck disable=SC1091 # written by start
  . "$1/ports"
  echo "export STOA_PEERS_DIR=$1"
  echo "export STOA_TEST_OIDC_ISSUER=http://127.0.0.1:$OIDC_PORT"
  echo "export STOA_TEST_SMTP_URL=smtp://127.0.0.1:$SMTP_PORT"
  echo "export STOA_TEST_MAILDEV_URL=http://127.0.0.1:$MAILDEV_PORT"
}

# N distinct ports that were free a moment ago: bound together on port 0, then released. A
# peer may still lose its port to another process in between; start() sees that (the peer
# exits) and tries again with new ones.
free_ports() {
  node -e '
    const net = require("node:net");
    const n = Number(process.argv[1]);
    const servers = [];
    for (let i = 0; i < n; i++) {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        servers.push(s);
        if (servers.length === n) {
          console.log(servers.map((x) => x.address().port).join(" "));
          for (const x of servers) x.close();
        }
      });
    }' "$1"
}

# True when the process in `$dir/$name.pid` runs and is the peer started there (a pid can be
# reused by an unrelated process once the peer has gone).
alive() {
  local pid
  pid=$(cat "$1/$2.pid" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -e 'peers/oidc.mjs' -e "$1/maildir"
}

# True when process `$1` listens on 127.0.0.1:`$2` itself (Linux /proc; the socket's inode
# is among the process's open files). A health answer alone could come from another run's
# peer that holds the port.
owns_port() {
  local hex inode
  hex=$(printf '%04X' "$2")
  for inode in $(awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" {print $10}' /proc/net/tcp); do
    ls -l "/proc/$1/fd" 2>/dev/null | grep -q "socket:\[$inode\]" && return 0
  done
  return 1
}

# Waits until the peer `$name` of `$dir` listens on every port given and `$url` answers;
# fails as soon as the peer has exited (a port taken in between, for instance).
wait_for() {
  local dir=$1 name=$2 url=$3 pid port ok
  shift 3
  pid=$(cat "$dir/$name.pid")
  for _ in $(seq 150); do
    alive "$dir" "$name" || return 1
    ok=1
    for port in "$@"; do owns_port "$pid" "$port" || ok=0; done
    if [ "$ok" = 1 ] && node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$url"; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

stop_dir() {
  local dir=$1 pid
  for name in oidc maildev; do
    if alive "$dir" "$name"; then
      pid=$(cat "$dir/$name.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$dir/$name.pid"
  done
}

start() {
  command -v node >/dev/null || { echo "the test peers need Node.js (node): install Node 20 (see README)" >&2; exit 1; }
  # Folders of runs stopped more than two days ago go (their logs were for that run).
  find "$base" -mindepth 1 -maxdepth 1 -name 'run.*' -type d -mtime +2 \
    ! -exec sh -c 'ls "$1"/*.pid >/dev/null 2>&1' _ {} \; -exec rm -rf {} + 2>/dev/null || true
  local dir ports attempt
  dir=$(mktemp -d "$base/run.XXXXXX")
  for attempt in 1 2 3; do
    read -r p1 p2 p3 <<<"$(free_ports 3)"
    OIDC_PORT=${STOA_PEER_OIDC_PORT:-$p1}
    SMTP_PORT=${STOA_PEER_SMTP_PORT:-$p2}
    MAILDEV_PORT=${STOA_PEER_MAILDEV_PORT:-$p3}
    printf 'OIDC_PORT=%s\nSMTP_PORT=%s\nMAILDEV_PORT=%s\n' "$OIDC_PORT" "$SMTP_PORT" "$MAILDEV_PORT" >"$dir/ports"
    OIDC_PORT=$OIDC_PORT node peers/oidc.mjs >>"$dir/oidc.log" 2>&1 & echo $! >"$dir/oidc.pid"
    # Started with node, not npx: killing npx would leave maildev running.
    node node_modules/maildev/dist/bin/maildev.js --ip 127.0.0.1 --web-ip 127.0.0.1 \
      -s "$SMTP_PORT" -w "$MAILDEV_PORT" --mail-directory "$dir/maildir" >>"$dir/maildev.log" 2>&1 & echo $! >"$dir/maildev.pid"
    if wait_for "$dir" oidc "http://127.0.0.1:$OIDC_PORT/.well-known/openid-configuration" "$OIDC_PORT" \
      && wait_for "$dir" maildev "http://127.0.0.1:$MAILDEV_PORT/api/healthz" "$SMTP_PORT" "$MAILDEV_PORT"; then
      echo "$dir" >"$base/last"
      env_lines "$dir"
      return 0
    fi
    stop_dir "$dir"
    echo "peers did not start on ports $OIDC_PORT, $SMTP_PORT, $MAILDEV_PORT (attempt $attempt); see $dir/*.log" >&2
  done
  echo "the test peers did not start (if STOA_PEER_*_PORT is set, is that port in use?)" >&2
  exit 1
}

case "${1:-}" in
  start) start ;;
  stop)
    dir=${STOA_PEERS_DIR:-$(cat "$base/last" 2>/dev/null || true)}
    [ -n "$dir" ] || { echo "no peers to stop (STOA_PEERS_DIR is unset and nothing was started here)" >&2; exit 0; }
    stop_dir "$dir" ;;
  env)
    dir=${STOA_PEERS_DIR:-$(cat "$base/last" 2>/dev/null || true)}
    [ -n "$dir" ] && [ -f "$dir/ports" ] || { echo "no peers started (run: $0 start)" >&2; exit 1; }
    env_lines "$dir" ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
