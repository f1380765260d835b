#!/usr/bin/env bash
# The whole test suite, from a fresh machine: apt packages, build once, unit + end-to-end tests.
# Usage: scripts/test.sh [extra `swift test` arguments, e.g. --filter OCIImageTests]
set -euo pipefail
cd "$(dirname "$0")/.."

# 1. System packages: OpenSSL and zlib headers for the C modules.
packages=(libssl-dev zlib1g-dev pkg-config)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. One build of everything (library, CLI, benchmark, tests), then run the tests without rebuilding.
swift build --build-tests
swift test --skip-build "$@"
