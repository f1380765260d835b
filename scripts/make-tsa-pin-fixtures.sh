#!/usr/bin/env bash
# Makes testdata/crypto/tsa-pin/: one fixture CA with two TSA leaves (A and B) and RFC 3161 responses over
# message.txt, for the tests that pin a TSA leaf (Tests/CryptoPrimitivesTests/TimestampStrictnessTests.swift).
# OpenSSL 3 command line; keys are random, so re-running replaces every file (the tests read whatever is there).
set -euo pipefail
cd "$(dirname "$0")/.."
out=testdata/crypto/tsa-pin
rm -rf "$out" && mkdir -p "$out"
cd "$out"

printf 'image-verifier TSA pinning fixture message\n' > message.txt
cat > tsa.cnf <<'CNF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ root_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ tsa_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = tsaserial
signer_digest = sha256
default_policy = 1.3.6.1.4.1.57264.2
digests = sha256
ess_cert_id_alg = sha256
accuracy = secs:1
ordering = no
tsa_name = no
CNF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out root.key
openssl req -new -x509 -config tsa.cnf -extensions root_ext -key root.key -sha256 -days 3650 \
  -subj "/O=image-verifier fixtures/CN=Fixture TSA Root" -set_serial 0x7a01 -out root.pem
for name in a b; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out tsa-$name.key
  openssl req -new -config tsa.cnf -key tsa-$name.key -subj "/O=image-verifier fixtures/CN=Fixture TSA $name" \
    -out tsa-$name.csr
  openssl x509 -req -in tsa-$name.csr -CA root.pem -CAkey root.key -set_serial "0x7b0$([ $name = a ] && echo 1 || echo 2)" \
    -days 3000 -sha256 -extfile tsa.cnf -extensions tsa_ext -out tsa-$name.pem
done
rm -f ./*.csr
echo 01 > tsaserial
openssl ts -query -data message.txt -sha256 -cert -no_nonce -out message.tsq
# Signed by A with A embedded (the pinned leaf: verifies); signed by B with B embedded (same CA, not the pinned leaf);
# signed by A with B embedded as well (a certificate nothing uses).
openssl ts -reply -config tsa.cnf -queryfile message.tsq -signer tsa-a.pem -inkey tsa-a.key -out by-a.tsr 2>/dev/null
openssl ts -reply -config tsa.cnf -queryfile message.tsq -signer tsa-b.pem -inkey tsa-b.key -out by-b.tsr 2>/dev/null
openssl ts -reply -config tsa.cnf -queryfile message.tsq -signer tsa-a.pem -inkey tsa-a.key -chain tsa-b.pem \
  -out by-a-with-b-embedded.tsr 2>/dev/null
rm -f tsaserial tsaserial.old message.tsq
echo "made $(ls | wc -l) files in $out"
