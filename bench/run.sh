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
cargo build -q --release -p stoa_server --bin stoa --example static_bytes

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
printf 'release wasm: %d bytes raw, %d gzip -9, %d brotli -q 11\n' "$raw" "$gz" "$br"
