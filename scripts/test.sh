#!/usr/bin/env bash
# The whole test suite, from a fresh machine: apt packages, build once, unit + end-to-end tests.
# Usage: scripts/test.sh [extra `swift test` arguments, e.g. --filter OCIImageTests]
# SANITIZE=address|thread builds and runs everything under that sanitizer in its own scratch folder
# (.build-asan / .build-tsan); scripts/sanitize.sh uses it.
set -euo pipefail
cd "$(dirname "$0")/.."

build_flags=()
case "${SANITIZE:-}" in
  "") ;;
  address) build_flags=(--sanitize address --scratch-path .build-asan) ;;
  thread) build_flags=(--sanitize thread --scratch-path .build-tsan) ;;
  *) echo "test.sh: SANITIZE must be address or thread, not '$SANITIZE'" >&2; exit 2 ;;
esac

# 1. System packages: OpenSSL and zlib headers for the C modules; a real registry (CNCF distribution), htpasswd,
#    openssl and curl for the registry integration tests; Python and faketime for the TUF conformance suite; Go for
#    the chart check's template renderer.
packages=(libssl-dev zlib1g-dev pkg-config docker-registry apache2-utils openssl curl python3 python3-venv faketime golang-go)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. Test registries on 127.0.0.1 (plain HTTP, TLS with a private CA, TLS + basic auth, token auth) with the
#    fixture images pushed, started while the build runs and stopped at the end, even on failure.
registries=$(mktemp -d "${TMPDIR:-/tmp}/iv-registries.XXXXXX")
cleanup() { kill "${registries_pid:-0}" "${tuf_setup_pid:-0}" 2>/dev/null || true; scripts/registries.sh stop "$registries" >/dev/null 2>&1 || true; rm -rf "$registries"; }
trap cleanup EXIT
trap "exit 130" INT TERM
scripts/registries.sh start "$registries" > "$registries/start.log" 2>&1 &
registries_pid=$!
scripts/tuf-conformance.sh --setup-only > "$registries/tuf-setup.log" 2>&1 &
tuf_setup_pid=$!

# 3. One build of everything (library, CLI, benchmark, tests), then run the tests without rebuilding.
swift build --build-tests ${build_flags[@]+"${build_flags[@]}"}
if ! wait "$registries_pid"; then
  cat "$registries/start.log" >&2
  echo "test.sh: the test registries did not start" >&2
  exit 1
fi
# shellcheck disable=SC1091
source "$registries/env"
if [ $# -gt 0 ]; then
  swift test --skip-build ${build_flags[@]+"${build_flags[@]}"} "$@"
else
  # Three runs of the one build. On a 2-core machine the cooperative thread pool has two threads; tests that keep
  # them busy (the exhaustive, CPU-bound mutation suites — every byte / every bit of signed inputs, named
  # …MutationTests or …BitFlipTests) starve the registry client tests, whose overall deadline runs from the client's
  # creation: with all suites in one process, 24 RemoteRegistry tests ran out of their 60 s deadline before their
  # first request was answered. So the registry client's own tests run alone, then everything else, then the
  # exhaustive suites. (Tests that wait for child processes do so off the pool: TestSupport's offThePool.)
  exhaustive='MutationTests|BitFlipTests'
  swift test --skip-build ${build_flags[@]+"${build_flags[@]}"} --filter RegistryAccessTests
  swift test --skip-build ${build_flags[@]+"${build_flags[@]}"} --skip "$exhaustive|RegistryAccessTests"
  swift test --skip-build ${build_flags[@]+"${build_flags[@]}"} --filter "$exhaustive"
fi

# 4. The TUF conformance suite (theupdateframework/tuf-conformance) against verify-image-tuf-client — only for a
#    whole run (not when test.sh is given a --filter), and not under a sanitizer (it drives the normal build's client).
if [ $# -eq 0 ] && [ -z "${SANITIZE:-}" ]; then
  if ! wait "$tuf_setup_pid"; then
    cat "$registries/tuf-setup.log" >&2
    echo "test.sh: the TUF conformance suite's Python environment could not be set up" >&2
    exit 1
  fi
  scripts/tuf-conformance.sh
fi

# 5. The admission server's chart gates itself: rendered, validated against the Kubernetes schemas, its invariants
#    checked, and `verify-image scan` run on the chart and on what it renders (scripts/check-chart.sh).
if [ $# -eq 0 ] && [ -z "${SANITIZE:-}" ]; then
  scripts/check-chart.sh
fi
