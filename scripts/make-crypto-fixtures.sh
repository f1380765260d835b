#!/usr/bin/env bash
# Makes the generated fixtures in testdata/crypto/generated/ with the openssl command line (OpenSSL 3).
# Keys are random: re-running replaces every file, and the tests read whatever is there (they never hard-code
# signature bytes). Private keys stay under testdata/ only; they protect nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
out=testdata/crypto/generated
rm -rf "$out" && mkdir -p "$out"
cd "$out"

printf 'image-verifier crypto fixture message\n' > message.txt
printf 'image-verifier crypto fixture message, altered\n' > other-message.txt

# --- keys -------------------------------------------------------------------------------------------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out p521.key
openssl genpkey -algorithm ED25519 -out ed25519.key
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.key
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out rsa3072.key
# Negative material: a curve we do not support, and an RSA key below the 2048-bit minimum.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out secp256k1.key
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key
for k in p256 p384 p521 ed25519 rsa2048 rsa3072 secp256k1 rsa1024; do
  openssl pkey -in $k.key -pubout -out $k.pub.pem
  openssl pkey -in $k.key -pubout -outform DER -out $k.pub.der
done
# PKCS#1 "RSA PUBLIC KEY" form of the 2048-bit key.
openssl rsa -in rsa2048.key -RSAPublicKey_out -out rsa2048.pkcs1.pub.pem 2>/dev/null

# --- signatures over message.txt ----------------------------------------------------------------------------------
sign() { # key hash outfile [extra openssl dgst options]
  local key=$1 hash=$2 outfile=$3; shift 3
  openssl dgst -"$hash" -sign "$key" "$@" -out "$outfile" message.txt
}
sign p256.key sha256 p256-sha256.sig
sign p384.key sha384 p384-sha384.sig
sign p384.key sha256 p384-sha256.sig
sign p521.key sha512 p521-sha512.sig
sign rsa2048.key sha256 rsa2048-pkcs1-sha256.sig
sign rsa2048.key sha256 rsa2048-pss-sha256.sig -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest
sign rsa3072.key sha512 rsa3072-pss-sha512.sig -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:max
sign rsa3072.key sha384 rsa3072-pkcs1-sha384.sig
openssl pkeyutl -sign -inkey ed25519.key -rawin -in message.txt -out ed25519.sig

# --- a small PKI: root (P-384) -> intermediate (P-384) -> code-signing leaf (P-256) with every SAN kind -----------
cat > pki.cnf <<'CNF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ root_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ inter_ext ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ leaf_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = critical, @sans
1.3.6.1.4.1.57264.1.1 = ASN1:UTF8String:https://issuer.example.test
1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:https://issuer.example.test
[ sans ]
email.1 = signer@example.test
URI.1 = https://github.com/example/repo/.github/workflows/release.yml@refs/heads/main
DNS.1 = signer.example.test
IP.1 = 192.0.2.7
IP.2 = 2001:db8::7
otherName.1 = 1.3.6.1.4.1.57264.1.7;UTF8:octocat
[ server_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:server.example.test
CNF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out root.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out intermediate.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaf.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out other-root.key
openssl req -new -x509 -config pki.cnf -extensions root_ext -key root.key -sha384 -days 3650 \
  -subj "/O=image-verifier fixtures/CN=Fixture Root CA" -set_serial 0x0a01 -out root.pem
openssl req -new -x509 -config pki.cnf -extensions root_ext -key other-root.key -sha384 -days 3650 \
  -subj "/O=image-verifier fixtures/CN=Fixture Root CA" -set_serial 0x0a02 -out other-root.pem
openssl req -new -config pki.cnf -key intermediate.key -subj "/O=image-verifier fixtures/CN=Fixture Intermediate CA" \
  -out intermediate.csr
openssl x509 -req -in intermediate.csr -CA root.pem -CAkey root.key -set_serial 0x0b01 -days 3000 -sha384 \
  -extfile pki.cnf -extensions inter_ext -out intermediate.pem
openssl req -new -config pki.cnf -key leaf.key -subj "/O=image-verifier fixtures/CN=Fixture Leaf" -out leaf.csr
openssl x509 -req -in leaf.csr -CA intermediate.pem -CAkey intermediate.key -set_serial 0x00c0ffee01 -days 30 -sha384 \
  -extfile pki.cnf -extensions leaf_ext -out leaf.pem
openssl req -new -config pki.cnf -key leaf.key -subj "/CN=server.example.test" -out server.csr
openssl x509 -req -in server.csr -CA intermediate.pem -CAkey intermediate.key -set_serial 0x0d01 -days 30 -sha256 \
  -extfile pki.cnf -extensions server_ext -out server-leaf.pem
openssl x509 -in leaf.pem -outform DER -out leaf.der
rm -f ./*.csr

# --- an RFC 3161 timestamp over message.txt from a fixture TSA chained to root.pem --------------------------------
cat > tsa.cnf <<'CNF'
[ tsa_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = tsaserial
signer_digest = sha256
default_policy = 1.3.6.1.4.1.57264.2
digests = sha256, sha384, sha512
ess_cert_id_alg = sha256
accuracy = secs:1
ordering = no
tsa_name = yes
CNF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out tsa.key
openssl req -new -config pki.cnf -key tsa.key -subj "/O=image-verifier fixtures/CN=Fixture TSA" -out tsa.csr
openssl x509 -req -in tsa.csr -CA intermediate.pem -CAkey intermediate.key -set_serial 0x0e01 -days 2900 -sha384 \
  -extfile tsa.cnf -extensions tsa_ext -out tsa.pem
rm -f tsa.csr
echo 01 > tsaserial
openssl ts -query -data message.txt -sha256 -cert -no_nonce -out message.tsq
openssl ts -reply -config tsa.cnf -queryfile message.tsq -signer tsa.pem -inkey tsa.key -chain intermediate.pem \
  -out message.tsr 2>/dev/null
openssl ts -reply -in message.tsr -token_out -out message.tst
rm -f tsaserial tsaserial.old message.tsq
echo "made $(ls | wc -l) files in $out"
