#!/usr/bin/env bash
# The whole test suite under AddressSanitizer, then under ThreadSanitizer: each a separate build in its own scratch
# folder (.build-asan, .build-tsan) with the same set-up as scripts/test.sh (registries included).
# A sanitizer report fails the run: ASan aborts the process; TSan reports every race, then the process exits 66.
# Usage: scripts/sanitize.sh [address|thread|all] [extra `swift test` arguments, e.g. --filter OCIImageTests]
# Builds run under `nice -n 19` (the builds are long; other work on the machine goes first).
set -euo pipefail
cd "$(dirname "$0")/.."

which=${1:-all}
[ $# -gt 0 ] && shift
case "$which" in
  address) sanitizers=(address) ;;
  thread) sanitizers=(thread) ;;
  all) sanitizers=(address thread) ;;
  *) echo "usage: scripts/sanitize.sh [address|thread|all] [swift test arguments]" >&2; exit 2 ;;
esac

# Swift's own crash backtracer would race the sanitizer's report; the sanitizer prints the stack instead.
export SWIFT_BACKTRACE=enable=no
# detect_leaks=0: Swift's runtime metadata caches and global singletons are reported as leaks at exit by LSan; they
# are not ours to free. Use-after-free, overflows and the like are all still fatal.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:${ASAN_OPTIONS:-}"
# TSan reports every race and the process then exits 66 (so the run still fails), rather than stopping at the first:
# one run shows them all. scripts/tsan.supp lists the reports that are not races in our code, each with its reason.
export TSAN_OPTIONS="halt_on_error=0:exitcode=66:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan.supp:${TSAN_OPTIONS:-}"

status=0
for sanitizer in "${sanitizers[@]}"; do
  echo "sanitize.sh: test suite under the $sanitizer sanitizer"
  if SANITIZE=$sanitizer nice -n 19 scripts/test.sh "$@"; then
    echo "sanitize.sh: $sanitizer: clean"
  else
    echo "sanitize.sh: $sanitizer: FAILED (see the report above)" >&2
    status=1
  fi
done
exit $status
