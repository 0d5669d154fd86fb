#!/usr/bin/env bash
# Starts or stops the test peers: the OpenID provider (oidc-provider) and the mail catcher
# (maildev), bound to 127.0.0.1, pids and logs under target/peers. Prints the environment
# the tests read.
#   scripts/peers.sh start | stop | env
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/peers
mkdir -p "$dir"
OIDC_PORT=${STOA_PEER_OIDC_PORT:-41400} SMTP_PORT=${STOA_PEER_SMTP_PORT:-41025} MAILDEV_PORT=${STOA_PEER_MAILDEV_PORT:-41080}

env_lines() {
  echo "export STOA_TEST_OIDC_ISSUER=http://127.0.0.1:$OIDC_PORT"
  echo "export STOA_TEST_SMTP_URL=smtp://127.0.0.1:$SMTP_PORT"
  echo "export STOA_TEST_MAILDEV_URL=http://127.0.0.1:$MAILDEV_PORT"
}

wait_for() { for _ in $(seq 150); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done; echo "peer at $1 did not start; see $dir/*.log" >&2; return 1; }

stop() {
  for name in oidc maildev; do
    if [ -f "$dir/$name.pid" ]; then kill "$(cat "$dir/$name.pid")" 2>/dev/null || true; rm -f "$dir/$name.pid"; fi
  done
}

case "${1:-}" in
  start)
    stop
    OIDC_PORT=$OIDC_PORT node peers/oidc.mjs >"$dir/oidc.log" 2>&1 & echo $! >"$dir/oidc.pid"
    # Started with node, not npx: killing npx would leave maildev running.
    node node_modules/maildev/dist/bin/maildev.js --ip 127.0.0.1 --web-ip 127.0.0.1 \
      -s $SMTP_PORT -w $MAILDEV_PORT --mail-directory "$dir/maildir" >"$dir/maildev.log" 2>&1 & echo $! >"$dir/maildev.pid"
    wait_for "http://127.0.0.1:$OIDC_PORT/.well-known/openid-configuration"
    wait_for "http://127.0.0.1:$MAILDEV_PORT/api/healthz"
    env_lines ;;
  stop) stop ;;
  env) env_lines ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
