#!/usr/bin/env bash
# The peers verify-image-bench compares against, from Debian packages only (nothing else is downloaded):
#   - docker-registry (CNCF distribution) and skopeo from the running release, with apt-get install;
#   - cosign (2.5 in trixie, set PEER_SUITE for another release) unpacked under DEST with dpkg-deb, using a private
#     apt state in DEST so that the system's apt sources and lists are left as they were;
#   - with swiftc: DEST/bin/static-swift-foundation, the process-start baseline (a static Swift program that
#     imports Foundation and does nothing).
#   - with --skopeo-sigstore: DEST/bin/skopeo-sigstore, the same release's skopeo (it signs with sigstore keys, which
#     the running release's skopeo cannot), run through that release's own loader and C libraries (unpacked under
#     DEST; the system's libraries are not touched). scripts/make-image-fixtures.sh needs it.
# usage: scripts/peer-tools.sh [--skopeo-sigstore] [DEST]     DEST defaults to .build/peers (git ignores .build*);
#        prints the versions.
# verify-image-bench looks for each peer on PATH first, then in .build/peers/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
with_skopeo=0
if [ "${1:-}" = --skopeo-sigstore ]; then with_skopeo=1; shift; fi
dest=${1:-.build/peers}
mkdir -p "$dest/bin"
dest=$(cd "$dest" && pwd)
suite=${PEER_SUITE:-trixie}

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v skopeo >/dev/null || need+=(skopeo)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

private_apt_ready=0
private_apt() { # sets up (once) an apt state of its own for $suite under DEST and prints nothing
  [ $private_apt_ready = 1 ] && return 0
  # The Debian mirror the system already uses, read from its apt sources (deb822 or one-line format).
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | tr ' ' '\n' | grep -v security | head -n1 || true)
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$mirror" ] || { echo "peer-tools.sh: no Debian mirror in the apt sources" >&2; exit 1; }
  state=$dest/apt-$suite
  mkdir -p "$state/lists/partial" "$state/archives/partial" "$state/parts" "$state/unpacked"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" > "$state/sources.list"
  apt_private=(-o "Dir::Etc::SourceList=$state/sources.list" -o "Dir::Etc::SourceParts=$state/parts"
               -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state" -o "Dir::Cache::archives=$state/archives"
               -o "APT::Sandbox::User=root")
  apt-get "${apt_private[@]}" -qq update
  private_apt_ready=1
}

if ! command -v cosign >/dev/null && [ ! -x "$dest/bin/cosign" ]; then
  private_apt
  # cosign is one static Go binary: no libraries of the newer release are needed.
  (cd "$state/archives" && apt-get "${apt_private[@]}" -qq download cosign)
  deb=$(ls "$state"/archives/cosign_*.deb | head -n1)
  dpkg-deb -x "$deb" "$state/unpacked"
  echo "$(dpkg-deb -f "$deb" Version) (Debian $suite)" > "$dest/bin/cosign.version"
  ln -sf "$state/unpacked/usr/bin/cosign" "$dest/bin/cosign"
fi

if [ $with_skopeo = 1 ] && [ ! -x "$dest/bin/skopeo-sigstore" ]; then
  private_apt
  libs=(libc6 libgpgme11t64 libassuan9 libgpg-error0 libsqlite3-0)
  (cd "$state/archives" && apt-get "${apt_private[@]}" -qq download skopeo "${libs[@]}")
  mkdir -p "$state/skopeo"
  for package in skopeo "${libs[@]}"; do dpkg-deb -x "$(ls "$state"/archives/${package}_*.deb | head -n1)" "$state/skopeo"; done
  lib=$state/skopeo/usr/lib/x86_64-linux-gnu
  printf '#!/bin/sh\nexec "%s/ld-linux-x86-64.so.2" --library-path "%s" "%s/usr/bin/skopeo" "$@"\n' \
    "$lib" "$lib" "$state/skopeo" > "$dest/bin/skopeo-sigstore"
  chmod +x "$dest/bin/skopeo-sigstore"
fi

# The baseline of the process-start row: a statically linked Swift program that imports Foundation, does nothing.
if command -v swiftc >/dev/null && [ ! -x "$dest/bin/static-swift-foundation" ]; then
  printf 'import Foundation\n_ = ProcessInfo.processInfo.arguments.count\n' > "$dest/static-swift-foundation.swift"
  swiftc -O -static-stdlib "$dest/static-swift-foundation.swift" -o "$dest/bin/static-swift-foundation" 2>/dev/null
fi

cosign=$(command -v cosign || echo "$dest/bin/cosign")
version=$(cat "$(dirname "$cosign")/cosign.version" 2>/dev/null || "$cosign" version 2>&1 | sed -n 's/^GitVersion: *//p')
echo "cosign:          $version ($cosign)"
echo "skopeo:          $(skopeo --version) ($(command -v skopeo))"
echo "docker-registry: $(docker-registry --version 2>/dev/null | head -n1) ($(command -v docker-registry))"
[ $with_skopeo = 0 ] || echo "skopeo-sigstore: $("$dest/bin/skopeo-sigstore" --version) ($dest/bin/skopeo-sigstore)"
