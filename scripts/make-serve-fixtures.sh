#!/usr/bin/env bash
# TLS fixtures of `verify-image serve`'s tests (testdata/serve/tls): two CAs, a server certificate for 127.0.0.1 /
# localhost from each (the TLS-reload test swaps one for the other), a client certificate for mutual TLS, and a key
# that belongs to no certificate. Made with OpenSSL; valid for 20 years; these keys exist only for the tests.
set -euo pipefail
out=$(cd "$(dirname "$0")/.." && pwd)/testdata/serve/tls
mkdir -p "$out"; cd "$out"
ca() { # name
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.crt" -days 7300 \
    -subj "/CN=verify-image serve test $1" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
leaf() { # name ca extensions
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null
  printf '%b' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days 7300 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
server='subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:verify-image.verify-image.svc\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n'
client='basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n'
ca ca-a; ca ca-b; ca client-ca
leaf server-a ca-a "$server"
leaf server-b ca-b "$server"
leaf gatekeeper client-ca "$client"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out stray.key 2>/dev/null
rm -f ./*.srl ca-a.key ca-b.key client-ca.key
