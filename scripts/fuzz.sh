#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of every parser of untrusted bytes. The harnesses live in
# the separate package Fuzzing/ (see docs/ARCHITECTURE.md, "Fuzzing and sanitizers").
#
#   scripts/fuzz.sh --list                 names every target
#   scripts/fuzz.sh TARGET [SECONDS]       builds and fuzzes one target (default 300 s), extra libFuzzer flags may follow
#   scripts/fuzz.sh --all [SECONDS]        builds once and fuzzes every target, SECONDS in all (default 60), then prints
#                                          a table; what .ci/run does
#   scripts/fuzz.sh --replay TARGET FILE…  runs inputs once (reproduce a crash)
#
# Inputs: seeds cut from testdata/ by scripts/fuzz-seeds.py; the committed regression inputs in testdata/fuzz/TARGET/
# (replayed at every start); the growing corpus in .build-fuzz/corpus/TARGET (not committed). Crashes, hangs and
# out-of-memory inputs land in .build-fuzz/artifacts/TARGET/; each becomes a regression input under testdata/fuzz/ and a
# test in the module's test suite once fixed. Everything runs under `nice -n 19`.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(reference manifest bundle cosign-layer tlog-entry checkpoint certificate sct timestamp yaml chart tuf-metadata
         admission-review)
work=.build-fuzz

# target → dictionaries (Fuzzing/dictionaries/NAME.dict, joined: libFuzzer takes one), largest input (bytes)
dictionaries() {
  case "$1" in
    reference) echo reference ;; checkpoint) echo checkpoint ;; certificate|sct|timestamp) echo der ;;
    yaml) echo yaml ;; chart) echo "" ;; tuf-metadata) echo json tuf ;; admission-review) echo json admission ;;
    *) echo json ;;
  esac
}
max_len() {
  case "$1" in
    reference) echo 1024 ;; checkpoint|sct) echo 8192 ;; chart) echo 262144 ;;
    bundle|yaml|manifest|tuf-metadata|admission-review) echo 65536 ;;
    *) echo 32768 ;;
  esac
}

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

build() {
  # Only the modules the harnesses need: no registry client, no CLI. -sanitize=fuzzer,address instruments every Swift
  # module for coverage and ASan; --sanitize fuzzer makes SwiftPM let libFuzzer provide main.
  echo "fuzz.sh: building the harnesses (Fuzzing/, libFuzzer + ASan)" >&2
  mkdir -p "$work"
  local noise=(-e "ld.gold: warning: Cannot export local symbol" -e "which are unhandled; explicitly declare" -e "/.build/checkouts/")
  if ! nice -n 19 swift build --package-path Fuzzing --disable-build-manifest-caching --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address "$@" \
      >"$work/build.log" 2>&1; then
    grep -v "${noise[@]}" "$work/build.log" >&2 || true
    echo "fuzz.sh: the harness build failed" >&2
    exit 1
  fi
  grep -v "${noise[@]}" "$work/build.log" | tail -1 >&2 || true
}
binary() { echo "Fuzzing/.build/debug/fuzz-$1"; }

known() { local t; for t in "${targets[@]}"; do [ "$t" = "$1" ] && return 0; done; echo "fuzz.sh: unknown target '$1' (scripts/fuzz.sh --list)" >&2; exit 2; }

# Swift's crash backtracer would race ASan's report; libFuzzer and ASan print the stack.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}"

# run TARGET SECONDS [libFuzzer flags…]: fuzzes, then prints one summary line.
run() {
  local target=$1 seconds=$2; shift 2
  local seeds=$work/seeds/$target corpus=$work/corpus/$target artifacts=$work/artifacts/$target/ log=$work/logs/$target.log
  local regressions=testdata/fuzz/$target
  rm -rf "$seeds"; mkdir -p "$corpus" "$artifacts" "$work/logs" "$regressions"
  python3 scripts/fuzz-seeds.py "$target" "$seeds" >/dev/null
  local flags=(-max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560 -max_len="$(max_len "$target")"
               -artifact_prefix="$artifacts" -print_final_stats=1)
  local names dict=$work/dictionaries/$target.dict; names=$(dictionaries "$target")
  if [ -n "$names" ]; then
    mkdir -p "$work/dictionaries"
    # shellcheck disable=SC2046
    cat $(printf 'Fuzzing/dictionaries/%s.dict ' $names) >"$dict"
    flags+=(-dict="$dict")
  fi
  local status=0
  nice -n 19 "$(binary "$target")" "${flags[@]}" "$@" "$corpus" "$seeds" "$regressions" >"$log" 2>&1 || status=$?
  summarize "$target" "$log" "$artifacts" "$status"
  return "$status"
}

summarize() {
  local target=$1 log=$2 artifacts=$3 status=$4
  # -a: a log may hold raw bytes of an input (libFuzzer prints crashing inputs).
  local last runs seconds cov ft corp
  last=$(grep -aE '^#[0-9]+' "$log" | tail -1 || true)
  runs=$(grep -aoE 'stat::number_of_executed_units: [0-9]+' "$log" | awk '{print $2}' || true)
  seconds=$(grep -aoE 'Done [0-9]+ runs in [0-9]+ second' "$log" | awk '{print $5}' || true)
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last"); ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.*corp: ([0-9]+).*/\1/p' <<<"$last")
  local found; found=$(find "$artifacts" -type f | wc -l)
  local rate="-"; [ -n "$runs" ] && [ -n "$seconds" ] && [ "$seconds" -gt 0 ] && rate=$((runs / seconds))
  printf '%-16s %6ss %10s runs %8s exec/s %7s edges %7s features %6s corpus  %s artifacts  %s\n' \
    "$target" "${seconds:--}" "${runs:--}" "$rate" "${cov:--}" "${ft:--}" "${corp:--}" "$found" \
    "$([ "$status" = 0 ] && echo ok || echo "FAILED: see $log")"
  if [ "$status" != 0 ]; then grep -aE 'invariant violated|ERROR: AddressSanitizer|ERROR: libFuzzer|Fatal error|SUMMARY' "$log" | head -5 >&2 || true; fi
}

case "${1:-}" in
  --list) printf '%s\n' "${targets[@]}" ;;
  --all)
    total=${2:-60}
    # One product at a time: a plain `swift build` of this package would also build every product of the package it
    # depends on (the CLI, the TUF client with its HTTP stack) with -sanitize=fuzzer, which cannot link a `main`.
    for target in "${targets[@]}"; do build --product "fuzz-$target"; done
    per=$(( total / ${#targets[@]} )); [ "$per" -lt 2 ] && per=2
    failed=0
    # A fixed seed: the short CI run explores the same mutations each time, so it fails for a harness or a committed
    # input that regressed, not at random.
    for target in "${targets[@]}"; do run "$target" "$per" -seed=1 || failed=1; done
    exit $failed ;;
  --replay)
    [ $# -ge 3 ] || usage
    known "$2"; build --product "fuzz-$2"
    target=$2; shift 2
    exec nice -n 19 "$(binary "$target")" -runs=1 "$@" ;;
  ""|-h|--help) usage ;;
  -*) usage ;;
  *)
    known "$1"; target=$1; seconds=${2:-300}; shift; [ $# -gt 0 ] && shift
    build --product "fuzz-$target"
    run "$target" "$seconds" "$@" ;;
esac
