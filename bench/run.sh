#!/usr/bin/env bash
# `make bench`: release build, then each page against the same bytes served static and the same
# bytes through Stoa's full middleware, on SQLite and PostgreSQL; WebAssembly sizes;
# Lighthouse; server memory. Figures only, no assertions. See README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${BENCH_DURATION:-5}
connections=${BENCH_CONNECTIONS:-16}
threads=${BENCH_THREADS:-2}
scale=${BENCH_SCALE:-10000,100000}
engines=${BENCH_ENGINES:-sqlite postgres}
bin=${BENCH_BIN:-target/release}
pg=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
stoa_addr=127.0.0.1:38080
static_addr=127.0.0.1:38081
stack_addr=127.0.0.1:38082

need() { command -v "$1" >/dev/null || { echo "==> installing $2"; apt-get install -y -qq "$2" >/dev/null; }; }
need wrk wrk

if [ -z "${BENCH_NO_BUILD:-}" ]; then
  echo "==> building (release server, optimised site)"
  make -s site-release >/dev/null
  cargo build -q --release -p stoa_server --bin stoa --example static_bytes --example stack_bytes --example list_queries --example hub_apply
fi
stack_bin=$bin/examples/stack_bytes
[ -x "$stack_bin" ] || stack_bin=target/release/examples/stack_bytes
static_bin=$bin/examples/static_bytes
[ -x "$static_bin" ] || static_bin=target/release/examples/static_bytes

tmp=$(mktemp -d)
pids=()
stop() { for p in "$@"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
cleanup() { stop "${pids[@]}"; rm -rf "$tmp"; psql "$pg/postgres" -qc 'DROP DATABASE IF EXISTS stoa_bench' >/dev/null 2>&1 || true; }
trap cleanup EXIT
# wait_up ADDR PATH [LOG]: up to 60 s; on failure, the end of the server's log says why.
wait_up() {
  for _ in $(seq 600); do curl -sf -o /dev/null "http://$1$2" && return 0; sleep 0.1; done
  echo "$1 did not start within 60 s" >&2
  [ -n "${3:-}" ] && tail -n 20 "$3" >&2
  return 1
}

# Prints "req_per_sec p50_ms p99_ms" for a URL (optional cookie).
measure() {
  local url=$1 cookie=${2:-} args=()
  [ -n "$cookie" ] && args=(-H "Cookie: $cookie")
  wrk -t"$threads" -c"$connections" -d1s "${args[@]}" "$url" >/dev/null   # warm-up
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "${args[@]}" "$url" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx/ { bad = $NF }
    END { printf "%.0f %.2f %.2f%s\n", rps, p50, p99, (bad ? " non-2xx:" bad : "") }'
}

# Signs EMAIL in the way a person does: asks for an email link (no SMTP configured, so Stoa
# writes the message to its log, its development mode), opens the link, keeps the cookie.
sign_in() {
  local email=$1 log=$2 token before n
  before=$(grep -c 'signin/link?token=' "$log" || true)
  curl -sf -o /dev/null -X POST --data-urlencode "email=$email" "http://$stoa_addr/auth/email"
  for _ in $(seq 100); do
    n=$(grep -c 'signin/link?token=' "$log" || true)
    [ "$n" -gt "$before" ] && break
    sleep 0.1
  done
  token=$(grep -o 'signin/link?token=[A-Za-z0-9_-]*' "$log" | tail -1 | cut -d= -f2)
  curl -s -o /dev/null -D - -X POST --data-urlencode "token=$token" "http://$stoa_addr/auth/email/verify" |
    tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(stoa_session=[^;]*\).*/\1/p' | tail -1
}

# The pages: name, path, who is signed in (- for nobody).
slug=ocean-modelling-lab
pages=(
  "home / -"
  "directory /communities -"
  "dashboard /dashboard ada"
  "community_home /communities/$slug ada"
  "audit_log /communities/$slug/audit ada"
  "members_9000 /communities/bench-1/members bench1"
  "search_physics /communities?q=physics -"
  "catalog /catalog -"
  "catalog_search /catalog?q=geoscience -"
  "catalog_popular /catalog?sort=popular -"
  "catalog_entry /catalog/pangeo ada"
  "staff_communities /staff/communities margaret"
  "staff_hubs /staff/hubs margaret"
  "staff_hubs_failed /staff/hubs?show=failed margaret"
  "staff_hubs_search /staff/hubs?q=bench-99 margaret"
  "staff_changes_failed /staff/changes?show=failed margaret"
  "staff_queue /staff/tickets margaret"
)
results=$tmp/results.txt
: > "$results"

run_engine() {
  local engine=$1 url
  case $engine in
    sqlite) url="sqlite://$tmp/bench.db" ;;
    postgres)
      if ! psql "$pg/postgres" -qc 'DROP DATABASE IF EXISTS stoa_bench' >/dev/null 2>&1 ||
         ! psql "$pg/postgres" -qc 'CREATE DATABASE stoa_bench' >/dev/null 2>&1; then
        echo "(PostgreSQL at $pg not reachable: skipped; set BENCH_POSTGRES_URL)"
        return
      fi
      url="$pg/stoa_bench" ;;
  esac
  echo "==> $engine: seeding demo data, $scale communities,members and ${BENCH_CATALOG:-10000} catalog entries"
  export DATABASE_URL=$url STOA_SITE_ROOT=target/site STOA_LOG_FORMAT=json STOA_LOG_FILTER=info
  # PostgreSQL needs the key that encrypts hubs' secrets (one per database, every process).
  STOA_SECRET_KEY=${STOA_SECRET_KEY:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
  export STOA_SECRET_KEY
  local start; start=$(date +%s.%N)
  "$bin/stoa" seed --demo >/dev/null 2>&1
  "$bin/stoa" seed --scale "$scale" >/dev/null 2>&1
  "$bin/stoa" seed --catalog "${BENCH_CATALOG:-10000}" >/dev/null 2>&1
  [ "$engine" = postgres ] && psql "$url" -qc 'ANALYZE' >/dev/null
  printf '    seeded in %.0f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"

  # The server logs at the production default (info, JSON, one line per request) to a file.
  local log=$tmp/stoa-$engine.log
  STOA_LISTEN=$stoa_addr "$bin/stoa" serve 2>"$log" & local stoa_pid=$!; pids+=("$stoa_pid")
  wait_up $stoa_addr /healthz "$log"
  local ada bench1 margaret
  ada=$(sign_in ada@demo.stoa.example "$log")
  bench1=$(sign_in bench1@bench.stoa.example "$log")
  margaret=$(sign_in margaret@demo.stoa.example "$log")
  [ -n "$ada" ] && [ -n "$bench1" ] && [ -n "$margaret" ] || { echo "sign-in failed; see $log" >&2; exit 1; }
  [ "$engine" = sqlite ] && { sqlite_ada=$ada; }

  local dir=$tmp/pages-$engine
  mkdir -p "$dir"
  for p in "${pages[@]}"; do
    read -r name path who <<<"$p"
    local cookie=""
    [ "$who" = ada ] && cookie=$ada
    [ "$who" = bench1 ] && cookie=$bench1
    [ "$who" = margaret ] && cookie=$margaret
    local status
    status=$(curl -s -o "$dir/$name" -w '%{http_code}' -H "Cookie: $cookie" "http://$stoa_addr$path")
    [ "$status" = 200 ] || echo "    warning: $path answered $status" >&2
  done
  "$static_bin" "$dir" $static_addr & local static_pid=$!; pids+=("$static_pid")
  local stack_pid=""
  if [ -x "$stack_bin" ]; then
    STOA_LISTEN=$stack_addr "$stack_bin" "$dir" 2>"$tmp/stack-$engine.log" & stack_pid=$!; pids+=("$stack_pid")
    wait_up $stack_addr /__bench/home
  fi
  wait_up $static_addr /home

  for p in "${pages[@]}"; do
    read -r name path who <<<"$p"
    local cookie=""
    [ "$who" = ada ] && cookie=$ada
    [ "$who" = bench1 ] && cookie=$bench1
    [ "$who" = margaret ] && cookie=$margaret
    echo "    $name"
    local page st stack
    page=$(measure "http://$stoa_addr$path" "$cookie")
    st=$(measure "http://$static_addr/$name")
    stack="0 0 0"
    [ -n "$stack_pid" ] && stack=$(measure "http://$stack_addr/__bench/$name" "$cookie")
    echo "$engine $name $who $(stat -c %s "$dir/$name") $page | $st | $stack" >> "$results"
  done
  local rss; rss=$(ps -o rss= -p "$stoa_pid" | tr -d ' ')
  echo "$engine rss $rss" >> "$results"

  if [ "$engine" = sqlite ]; then
    if [ -f bench/lighthouse.mjs ]; then
      echo "==> Lighthouse (bench/lighthouse.mjs)"
      { [ -d bench/node_modules ] || npm ci --prefix bench --no-audit --no-fund >/dev/null 2>&1; } &&
      node bench/lighthouse.mjs --url "http://$stoa_addr" --cookie "$ada" / /communities +/dashboard "+/communities/$slug" > "$tmp/lighthouse.txt" 2>&1 ||
        echo "(bench/lighthouse.mjs failed: $(tail -1 "$tmp/lighthouse.txt"))" >> "$tmp/lighthouse.txt"
    else
      echo "(no bench/lighthouse.mjs: Lighthouse skipped)" > "$tmp/lighthouse.txt"
    fi
    echo "list queries, SQLite:" > "$tmp/queries.txt"
    "$bin/examples/list_queries" "$url" >> "$tmp/queries.txt" 2>&1 || true
  else
    echo "list queries, PostgreSQL:" >> "$tmp/queries.txt"
    "$bin/examples/list_queries" "$url" >> "$tmp/queries.txt" 2>&1 || true
  fi
  stop "$stoa_pid" "$static_pid" ${stack_pid:+"$stack_pid"}
}

for engine in $engines; do run_engine "$engine"; done

echo
echo "Stoa benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, wrk -t$threads -c$connections -d${duration}s," \
  "demo data + $scale communities,members; the server logs at info (JSON) to a file"
echo "page: Stoa's page; static: the same bytes from static_bytes (the stack's limit);"
echo "stack: the same bytes through Stoa's full middleware (with the page's session cookie)"
awk '
  $2 == "rss" { rss[$1] = $3; next }
  {
    split($0, parts, " \\| ")
    split(parts[1], a, " "); split(parts[2], s, " "); split(parts[3], k, " ")
    if (!header) {
      printf "%-9s %-15s %7s %9s %8s %8s %9s %8s %9s %8s %7s %7s\n", "engine", "page", "bytes", "req/s", "p50 ms", "p99 ms", "static/s", "ratio", "stack/s", "p99 ms", "page/stack", ""
      header = 1
    }
    extra = (a[8] != "" ? a[8] : "")
    printf "%-9s %-15s %7d %9d %8.2f %8.2f %9d %8.3f %9d %8.2f %7.3f %s\n", a[1], a[2], a[4], a[5], a[6], a[7], s[1], a[5] / s[1], k[1], k[3], (k[1] > 0 ? a[5] / k[1] : 0), extra
  }
  END { for (e in rss) printf "server RSS after the %s run: %.0f MB\n", e, rss[e] / 1024 }
' "$results"

echo
hashes=target/site/hash.txt
if [ -f "$hashes" ]; then
  wasm_hash=$(sed -n 's/^wasm: *//p' "$hashes")
  js_hash=$(sed -n 's/^js: *//p' "$hashes")
  init=target/site/pkg/stoa.$wasm_hash.wasm
  js=target/site/pkg/stoa.$js_hash.js
  total_raw=0; total_br=0
  for f in target/site/pkg/*.wasm; do
    total_raw=$((total_raw + $(stat -c %s "$f"))); total_br=$((total_br + $(stat -c %s "$f.br")))
  done
  printf 'WebAssembly, initial (loaded by every page): %d B raw, %d B brotli; its JS: %d B raw, %d B brotli\n' \
    "$(stat -c %s "$init")" "$(stat -c %s "$init.br")" "$(stat -c %s "$js")" "$(stat -c %s "$js.br")"
  printf 'WebAssembly, total (all modules):            %d B raw, %d B brotli\n' "$total_raw" "$total_br"
else
  echo "(target/site/hash.txt missing: build the site with make site-release)"
fi
echo
cat "$tmp/lighthouse.txt"
echo
cat "$tmp/queries.txt"
echo
# A change to a real hub (local backend), beside a bare JupyterHub cold start in this run.
hub_bin=$bin/examples/hub_apply
[ -x "$hub_bin" ] || hub_bin=target/release/examples/hub_apply
"$hub_bin" "${BENCH_HUB_TRIALS:-5}" || echo "(hub_apply failed: is the hub environment installed? make setup)"
