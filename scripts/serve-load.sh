#!/usr/bin/env bash
# Load figures for `verify-image serve` (issue 10), with wrk over TLS against a running server on 127.0.0.1 and the
# test registries of scripts/registries.sh:
#   (a) cache hits: one signed, pinned Pod posted again and again to /validate (2 threads × 64 connections: the
#       throughput), and (a') the same at 8 connections (the latency at an API server's concurrency);
#   (b) cache misses: every request names a different (image, policy) pair never seen before — the verdict cache is
#       sized to 1 entry so each request verifies against the local registry;
#   (c) 100 concurrent requests for one new image: the number of verifications, read from /metrics, must be 1.
# Resident memory of the server is sampled every second during (a) and reported.
# Usage: scripts/serve-load.sh [SECONDS] (default 60) — needs wrk (apt-get install wrk), a built verify-image
# (VERIFY_IMAGE=path, default .build/release/verify-image) and registries (REGISTRIES_DIR with env, or started here).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
bin=${VERIFY_IMAGE:-$root/.build/release/verify-image}
command -v wrk >/dev/null || { echo "serve-load.sh: wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "serve-load.sh: $bin is missing; build it: swift build -c release --static-swift-stdlib --product verify-image" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/serve-load.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${own_registries:-}" ] && "$root/scripts/registries.sh" stop "$work/registries" >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT
if [ -z "${REGISTRIES_DIR:-}" ]; then
  own_registries=1
  "$root/scripts/registries.sh" start "$work/registries" > "$work/registries.log"
  REGISTRIES_DIR=$work/registries
fi
# shellcheck disable=SC1091
source "$REGISTRIES_DIR/env"
digest() { python3 - "$root/testdata/images/layouts/$1/index.json" <<'PY'
import json, sys
entries = json.load(open(sys.argv[1]))["manifests"]
for e in entries:
    kind = e.get("annotations", {}).get("kind", "")
    if kind.endswith("/image") or "org.opencontainers.image.ref.name" in e.get("annotations", {}):
        print(e["digest"]); break
PY
}
signed="$IV_REGISTRY_HTTP/demo/app-v1@$(digest app-v1)"
tls=$root/testdata/serve/tls
start_server() { # port cache-size
  "$bin" serve --listen "127.0.0.1:$1" --tls-cert "$tls/server-a.crt" --tls-key "$tls/server-a.key" \
    --key "$root/testdata/images/keys/signer.pub" --insecure-ignore-tlog --no-cache --cache-size "$2" --log-level warning \
    > "$work/server-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -sk "https://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "serve-load.sh: the server on port $1 did not start:" >&2; cat "$work/server-$1.log" >&2; exit 1
}
body() { # image
  sed -e "s|\$INIT_IMAGE|$1|" -e "s|\$IMAGE|$1|" "$root/testdata/serve/reviews/pod.json"
}
# The one RESULT line every case prints, appended to each wrk script.
cat > "$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
LUA
{ cat <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open(os.getenv("BODY_FILE")); wrk.body = f:read("*a"); f:close()
LUA
cat "$work/report.lua"; } > "$work/post.lua"
port=$((20000 + RANDOM % 20000))
start_server "$port" 10000
server_pid=${pids[-1]}
echo "== (a) cache hits: $seconds s, 2 threads, 64 connections, one signed pinned Pod"
body "$signed" > "$work/hit.json"
curl -sk -X POST --data-binary @"$work/hit.json" "https://127.0.0.1:$port/validate?timeout=10s" | grep -q '"allowed":true' \
  || { echo "serve-load.sh: the signed Pod was not allowed" >&2; exit 1; }
( for _ in $(seq 1 "$seconds"); do awk '/VmRSS/ {print $2}' "/proc/$server_pid/status"; sleep 1; done ) > "$work/rss" &
sampler=$!
BODY_FILE=$work/hit.json wrk -t2 -c64 -d"${seconds}s" --latency -s "$work/post.lua" "https://127.0.0.1:$port/validate?timeout=10s" | tee "$work/hit.out" | grep RESULT
wait $sampler || true
echo "== (a') cache hits at an API server's concurrency: $((seconds / 2)) s, 1 thread, 8 connections"
BODY_FILE=$work/hit.json wrk -t1 -c8 -d"$((seconds / 2))s" --latency -s "$work/post.lua" "https://127.0.0.1:$port/validate?timeout=10s" | grep RESULT
sort -n "$work/rss" | awk '{a[NR]=$1} END {printf "RSS during (a): min %.1f MiB, max %.1f MiB, last %.1f MiB over %d samples\n", a[1]/1024, a[NR]/1024, a[NR]/1024, NR}'
tail -1 "$work/rss" | awk '{printf "RSS at the end: %.1f MiB\n", $1/1024}'

echo "== (b) cache misses: every request verifies against the local registry (cache of 1 entry, 2 alternating images)"
port_b=$((port + 1))
start_server "$port_b" 1
{ cat <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {}
for i, name in ipairs({"$work/miss1.json", "$work/miss2.json"}) do local f = io.open(name); bodies[i] = f:read("*a"); f:close() end
local n = 0
request = function() n = n + 1; return wrk.format(nil, nil, nil, bodies[n % 2 + 1]) end
LUA
cat "$work/report.lua"; } > "$work/miss.lua"
# One image per request, alternating: with a 1-entry cache each request evicts the other's verdict.
body "$signed" | sed 's|"\$INIT_IMAGE"|x|' > "$work/miss1.json"
body "$IV_REGISTRY_HTTP/demo/app-v2@$(digest app-v2)" > "$work/miss2.json"
wrk -t1 -c1 -d"$((seconds / 4 + 5))s" --latency -s "$work/miss.lua" "https://127.0.0.1:$port_b/validate?timeout=10s" | grep RESULT
curl -sk "https://127.0.0.1:$port_b/metrics" | grep -E '^verify_image_(verifications_total|verdict_cache_total)' | sed 's/^/  /'

echo "== (c) 100 concurrent requests for one new image"
port_c=$((port + 2))
start_server "$port_c" 10000
body "$IV_REGISTRY_HTTP/demo/oci11@$(digest oci11)" > "$work/new.json"
( for _ in $(seq 1 100); do
    curl -sk -o /dev/null -w '%{http_code}\n' -X POST --data-binary @"$work/new.json" "https://127.0.0.1:$port_c/validate?timeout=10s" &
  done; wait ) > "$work/c.codes"
sleep 0.5
echo "HTTP statuses: $(sort "$work/c.codes" | uniq -c | tr '\n' ' ')"
curl -sk "https://127.0.0.1:$port_c/metrics" | grep -E '^verify_image_(verifications_total|verdict_cache_total)' | sed 's/^/  /'
