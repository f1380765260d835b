#!/usr/bin/env bash
# Builds the shipped verify-image: a release build with the Swift runtime and Foundation linked statically (it
# starts in about half the time of a dynamically linked one and needs no Swift toolchain where it is installed,
# only OpenSSL 3 and zlib), then installs it.
# usage: scripts/install.sh [PREFIX]        installs PREFIX/bin/verify-image (PREFIX defaults to $PREFIX or /usr/local)
#        scripts/install.sh --bench [PREFIX] also installs verify-image-bench (run it from a checkout)
# The build lands in .build/release (reused by the next run), as verify-image-bench expects.
set -euo pipefail
cd "$(dirname "$0")/.."
bench=false
if [ "${1:-}" = --bench ]; then bench=true; shift; fi
prefix=${1:-${PREFIX:-/usr/local}}

# The C modules need the OpenSSL and zlib headers (and pkg-config to find them).
missing=()
for p in libssl-dev zlib1g-dev pkg-config; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null; then
  echo "install.sh: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

products=(--product verify-image)
$bench && products=()    # everything: the CLI and the benchmark in one build
swift build -c release --static-swift-stdlib "${products[@]}"
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)
install -d "$prefix/bin"
install -m 755 "$bin/verify-image" "$prefix/bin/verify-image"
$bench && install -m 755 "$bin/verify-image-bench" "$prefix/bin/verify-image-bench"
echo "installed $prefix/bin/verify-image$($bench && echo " and verify-image-bench")"
"$prefix/bin/verify-image" --help | head -n 1
