#!/usr/bin/env bash
# Makes testdata/checkpoints/: Rekor v1-style checkpoints (C2SP signed notes) signed by a fixture ECDSA P-256 log key,
# for the checkpoint-origin tests (Tests/SignatureVerificationTests/TransparencyLogOriginAndValidityTests.swift). The log's URL is
# https://rekor.example.test; Rekor names its checkpoints "<hostname> - <tree id>".
# OpenSSL 3 command line; the key is random, so re-running replaces every file (the tests read whatever is there).
set -euo pipefail
cd "$(dirname "$0")/.."
out=testdata/checkpoints
rm -rf "$out" && mkdir -p "$out"
cd "$out"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out log.key
openssl pkey -in log.key -pubout -out log.pub.pem
openssl pkey -in log.key -pubout -outform DER -out log.pub.der
# Key hint of an ECDSA note key: the first 4 bytes of SHA-256 over its SubjectPublicKeyInfo.
openssl dgst -sha256 -binary log.pub.der | head -c 4 > hint.bin
root=$(printf 'checkpoint fixture tree' | openssl dgst -sha256 -binary | base64)

# note ORIGIN NAME FILE: a checkpoint for tree size 42 with ORIGIN, signed as NAME.
note() {
  printf '%s\n42\n%s\n' "$1" "$root" > text.bin
  openssl dgst -sha256 -sign log.key -out signature.bin text.bin
  { cat text.bin; printf '\n\xe2\x80\x94 %s %s\n' "$2" "$(cat hint.bin signature.bin | base64 -w0)"; } > "$3"
}
note "rekor.example.test - 1193050959916656506" "rekor.example.test" this-log.checkpoint
note "rekor.other.test - 1193050959916656506" "rekor.other.test" other-log-same-key.checkpoint
note "rekor.example.test - 01193050959916656506" "rekor.example.test" tree-id-leading-zero.checkpoint
note "rekor.example.test - 99999999999999999999" "rekor.example.test" tree-id-overflow.checkpoint
rm -f text.bin signature.bin hint.bin
echo "made $(ls | wc -l) files in $out"
