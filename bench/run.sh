#!/usr/bin/env bash
# Release build, then SSR vs static throughput and latency, and the wasm size. See README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${BENCH_DURATION:-10}
connections=${BENCH_CONNECTIONS:-64}
threads=${BENCH_THREADS:-2}
ssr_addr=127.0.0.1:38080
static_addr=127.0.0.1:38081

need() { command -v "$1" >/dev/null || { echo "==> installing $2"; apt-get install -y -qq "$2" >/dev/null; }; }
need wrk wrk
need brotli brotli

echo "==> building (release server, optimised site)"
make -s site-release >/dev/null
cargo build -q --release -p stoa_server --bin stoa --example static_bytes --example list_queries

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

export DATABASE_URL="sqlite://$tmp/bench.db" STOA_SITE_ROOT=target/site STOA_LOG_FILTER=warn STOA_LISTEN=$ssr_addr
target/release/stoa seed --demo
target/release/stoa serve & pids+=($!)
for _ in $(seq 100); do curl -sf "http://$ssr_addr/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://$ssr_addr/" -o "$tmp/home.html"
target/release/examples/static_bytes "$tmp/home.html" $static_addr & pids+=($!)
for _ in $(seq 100); do curl -sf "http://$static_addr/" >/dev/null && break; sleep 0.1; done

# Prints "req_per_sec p50_ms p99_ms" for a URL.
measure() {
  wrk -t"$threads" -c"$connections" -d2s "$1" >/dev/null   # warm-up
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$1" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    END { printf "%.0f %.2f %.2f\n", rps, p50, p99 }'
}

read -r ssr_rps ssr_p50 ssr_p99 < <(measure "http://$ssr_addr/")
read -r st_rps st_p50 st_p99 < <(measure "http://$static_addr/")
read -r dir_rps dir_p50 dir_p99 < <(measure "http://$ssr_addr/communities")

# The same server on a database with 10,000 communities and 100,000 members.
scale=${BENCH_SCALE:-10000,100000}
large_addr=127.0.0.1:38082
seed_start=$(date +%s.%N)
DATABASE_URL="sqlite://$tmp/large.db" target/release/stoa seed --scale "$scale"
seed_secs=$(echo "$(date +%s.%N) - $seed_start" | bc)
DATABASE_URL="sqlite://$tmp/large.db" STOA_LISTEN=$large_addr target/release/stoa serve & pids+=($!)
for _ in $(seq 100); do curl -sf "http://$large_addr/healthz" >/dev/null && break; sleep 0.1; done
read -r big_rps big_p50 big_p99 < <(measure "http://$large_addr/communities")
read -r deep_rps deep_p50 deep_p99 < <(measure "http://$large_addr/communities?page=400")
read -r q_rps q_p50 q_p99 < <(measure "http://$large_addr/communities?q=physics")

wasm=target/site/pkg/stoa_bg.wasm
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
br=$(brotli -q 11 -c "$wasm" | wc -c)

echo
echo "Stoa benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, wrk -t$threads -c$connections -d${duration}s"
echo "home page: $(stat -c %s "$tmp/home.html") bytes"
printf '%-28s %12s %10s %10s\n' "" "req/s" "p50 ms" "p99 ms"
printf '%-28s %12s %10s %10s\n' "SSR home page (SQLite)" "$ssr_rps" "$ssr_p50" "$ssr_p99"
printf '%-28s %12s %10s %10s\n' "same bytes, static (axum)" "$st_rps" "$st_p50" "$st_p99"
awk -v s="$ssr_rps" -v t="$st_rps" 'BEGIN { printf "ratio static : SSR           %.1fx\n", t / s }'
echo
echo "directory with $scale communities,members (seeded in ${seed_secs%.*} s) vs the demo's 14"
printf '%-28s %12s %10s %10s\n' "/communities, 14" "$dir_rps" "$dir_p50" "$dir_p99"
printf '%-28s %12s %10s %10s\n' "/communities, 10,000" "$big_rps" "$big_p50" "$big_p99"
printf '%-28s %12s %10s %10s\n' "  page 400" "$deep_rps" "$deep_p50" "$deep_p99"
printf '%-28s %12s %10s %10s\n' "  search ?q=physics" "$q_rps" "$q_p50" "$q_p99"
awk -v s="$big_rps" -v t="$dir_rps" 'BEGIN { printf "ratio 14 : 10,000           %.2fx\n", t / s }'
echo
echo "list queries, SQLite:"
target/release/examples/list_queries "sqlite://$tmp/large.db"
pg=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
if psql "$pg/postgres" -qc 'DROP DATABASE IF EXISTS stoa_bench' 2>/dev/null && psql "$pg/postgres" -qc 'CREATE DATABASE stoa_bench'; then
  DATABASE_URL="$pg/stoa_bench" target/release/stoa seed --scale "$scale"
  psql "$pg/stoa_bench" -qc 'ANALYZE'
  echo "list queries, PostgreSQL:"
  target/release/examples/list_queries "$pg/stoa_bench"
  psql "$pg/postgres" -qc 'DROP DATABASE stoa_bench'
else
  echo "(PostgreSQL at $pg not reachable: its list queries are skipped)"
fi
echo
printf 'release wasm: %d bytes raw, %d gzip -9, %d brotli -q 11\n' "$raw" "$gz" "$br"
