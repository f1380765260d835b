#!/usr/bin/env bash
# Makes the signed-image fixtures in testdata/images/ with the real tools: a real registry on loopback, skopeo to
# push, cosign 2.5 and skopeo 1.18 to sign, `cosign save` / skopeo to write OCI layouts, `cosign verify` to record
# what the peer says about each one (testdata/images/EXPECTED.cosign.txt).
#
# usage: scripts/make-image-fixtures.sh [PEER_TOOLS_DIR]     (default .build/peers; made there by
#        `scripts/peer-tools.sh --skopeo-sigstore` when cosign or skopeo-sigstore is missing)
# Keys are reused when present (testdata/images/keys), so re-running changes only signatures and layouts.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tools=${1:-$root/.build/peers}
if [ ! -x "$tools/bin/cosign" ] || [ ! -x "$tools/bin/skopeo-sigstore" ]; then
  "$root/scripts/peer-tools.sh" --skopeo-sigstore "$tools" >&2
fi
tools=$(cd "$tools" && pwd)
cosign="$tools/bin/cosign"; [ -x "$cosign" ] || cosign=$(command -v cosign)
skopeo_sig="$tools/bin/skopeo-sigstore"
out=$root/testdata/images
port=${PORT:-5077}
reg=127.0.0.1:$port
work=$(mktemp -d)
export HOME=$work/home COSIGN_PASSWORD=fixture-password COSIGN_YES=true
mkdir -p "$HOME" "$out/keys" "$out/layouts"
# A real registry (Debian's docker-registry, CNCF distribution) on loopback, for this run only.
mkdir -p "$work/registry/storage"
printf 'version: 0.1\nlog: {level: warn}\nstorage: {filesystem: {rootdirectory: %s}, delete: {enabled: true}}\nhttp:\n  addr: %s\n' \
  "$work/registry/storage" "$reg" > "$work/registry/config.yml"
docker-registry serve "$work/registry/config.yml" > "$work/registry/log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -fsS "http://$reg/v2/" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "http://$reg/v2/" >/dev/null || { cat "$work/registry/log" >&2; echo "make-image-fixtures.sh: the registry did not start" >&2; exit 1; }
cosign_flags=(--allow-http-registry --allow-insecure-registry)

# 1. Keys: signer (the trusted key), other (a key nobody trusts), and a private CA with a code-signing leaf.
cd "$out/keys"
[ -f signer.key ] || "$cosign" generate-key-pair --output-key-prefix signer >/dev/null
[ -f other.key ] || "$cosign" generate-key-pair --output-key-prefix other >/dev/null
if [ ! -f pki-leaf.pem ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout pki-root.key -out pki-root.pem \
    -days 3650 -subj "/O=image-verifier fixtures/CN=Fixture Root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout pki-intermediate.key -out "$work/int.csr" \
    -subj "/O=image-verifier fixtures/CN=Fixture Intermediate CA" 2>/dev/null
  openssl x509 -req -in "$work/int.csr" -CA pki-root.pem -CAkey pki-root.key -CAcreateserial -days 3650 \
    -extfile <(printf "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n") \
    -out pki-intermediate.pem 2>/dev/null
  # cosign 2.5 cannot import an OpenSSL key here ("unsupported public key type"), so the leaf certificate is issued
  # for a cosign-generated key: the CSR's throwaway key is replaced with -force_pubkey.
  "$cosign" generate-key-pair --output-key-prefix pki-leaf >/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/throwaway.key" -out "$work/leaf.csr" \
    -subj "/O=image-verifier fixtures/CN=release signer" 2>/dev/null
  openssl x509 -req -in "$work/leaf.csr" -force_pubkey pki-leaf.pub -CA pki-intermediate.pem -CAkey pki-intermediate.key \
    -CAcreateserial -days 3650 \
    -extfile <(printf "keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectAltName=email:release@example.com\n") \
    -out pki-leaf.pem 2>/dev/null
  cat pki-intermediate.pem pki-root.pem > pki-chain.pem
  rm -f ./*.srl
fi
if [ ! -f unrelated-root.pem ]; then   # a CA that issued nothing here: trusting it must not verify the pki image
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout unrelated-root.key -out unrelated-root.pem \
    -days 3650 -subj "/O=image-verifier fixtures/CN=Unrelated Root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
cd "$root"

# 2. Unsigned base images pushed into the registry, one repository each.
python3 scripts/make-base-layout.py "$work/base"
for tag in app-v1 app-v2 unsigned other replay pki oci11 bundled; do
  skopeo copy -q --dest-tls-verify=false "oci:$work/base:$tag" "docker://$reg/demo/$tag:latest"
done
skopeo copy -q --all --dest-tls-verify=false "oci:$work/base:multi" "docker://$reg/demo/multi:latest"
digest() { skopeo inspect --tls-verify=false --raw "docker://$reg/demo/$1:latest" | sha256sum | awk '{print "sha256:"$1}'; }
ref() { echo "$reg/demo/$1@$(digest "$1")"; }

# 3. Signatures and attestations.
"$cosign" sign "${cosign_flags[@]}" --key "$out/keys/signer.key" --tlog-upload=false -a env=prod -a team=platform "$(ref app-v1)" 2>/dev/null
cat > "$work/provenance.json" <<'JSON'
{"buildType":"https://example.com/fixture-build@v1","builder":{"id":"https://example.com/builder"},"invocation":{"configSource":{}}}
JSON
"$cosign" attest "${cosign_flags[@]}" --key "$out/keys/signer.key" --tlog-upload=false --type slsaprovenance \
  --predicate "$work/provenance.json" "$(ref app-v1)" 2>/dev/null
mkdir -p "$work/registries.d"
printf 'default-docker:\n  use-sigstore-attachments: true\n' > "$work/registries.d/default.yaml"
printf '%s' "$COSIGN_PASSWORD" > "$work/passphrase"
"$skopeo_sig" --registries.d "$work/registries.d" copy -q --src-tls-verify=false --dest-tls-verify=false \
  --sign-by-sigstore-private-key "$out/keys/signer.key" --sign-passphrase-file "$work/passphrase" \
  "docker://$reg/demo/app-v2:latest" "docker://$reg/demo/app-v2:latest"
"$cosign" sign "${cosign_flags[@]}" --key "$out/keys/other.key" --tlog-upload=false "$(ref other)" 2>/dev/null
# A valid signature of app-v1, copied onto the `.sig` tag of another image.
a=$(digest app-v1); b=$(digest replay)
skopeo copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$reg/demo/app-v1:${a/:/-}.sig" \
  "docker://$reg/demo/replay:${b/:/-}.sig"
"$cosign" sign "${cosign_flags[@]}" --key "$out/keys/signer.key" --tlog-upload=false "$(ref multi)" 2>/dev/null
"$cosign" sign "${cosign_flags[@]}" --key "$out/keys/pki-leaf.key" --certificate "$out/keys/pki-leaf.pem" \
  --certificate-chain "$out/keys/pki-chain.pem" --tlog-upload=false "$(ref pki)" 2>/dev/null
COSIGN_EXPERIMENTAL=1 "$cosign" sign "${cosign_flags[@]}" --key "$out/keys/signer.key" --tlog-upload=false \
  --registry-referrers-mode=oci-1-1 "$(ref oci11)" 2>/dev/null
# cosign's new bundle format: a DSSE attestation in a Sigstore bundle v0.3, stored as an OCI 1.1 referrer (the
# referrers tag sha256-<hex>, since distribution 2.8 has no referrers API).
"$cosign" attest "${cosign_flags[@]}" --key "$out/keys/signer.key" --tlog-upload=false --new-bundle-format \
  --type slsaprovenance --predicate "$work/provenance.json" "$(ref bundled)" 2>/dev/null

# 4. OCI layouts (what `cosign save` writes), and the peer's verdict on each.
rm -rf "$out/layouts" && mkdir -p "$out/layouts"
expected="$out/EXPECTED.cosign.txt"
echo "# fixture  image  cosign-verify-exit-status  (cosign 2.5: verify --key keys/signer.pub --insecure-ignore-tlog)" > "$expected"
for name in app-v1 app-v2 unsigned other replay pki multi; do
  "$cosign" save "${cosign_flags[@]}" --dir "$out/layouts/$name" "$(ref "$name")" 2>/dev/null
done
# cosign save does not follow OCI 1.1 referrers: copy the image and its referrers-tag index with skopeo.
o=$(digest oci11)
skopeo copy -q --src-tls-verify=false "docker://$reg/demo/oci11@$o" "oci:$out/layouts/oci11:latest"
skopeo copy -q --all --src-tls-verify=false "docker://$reg/demo/oci11:${o/:/-}" "oci:$out/layouts/oci11:${o/:/-}"
o=$(digest bundled)
skopeo copy -q --src-tls-verify=false "docker://$reg/demo/bundled@$o" "oci:$out/layouts/bundled:latest"
skopeo copy -q --all --src-tls-verify=false "docker://$reg/demo/bundled:${o/:/-}" "oci:$out/layouts/bundled:${o/:/-}"
for name in app-v1 app-v2 unsigned other replay multi oci11; do
  key=$out/keys/signer.pub; extra=()
  [ "$name" = oci11 ] && extra=(--experimental-oci11)
  status=0; "$cosign" verify "${cosign_flags[@]}" --key "$key" --insecure-ignore-tlog "${extra[@]}" "$(ref "$name")" >/dev/null 2>&1 || status=$?
  echo "$name $(ref "$name" | sed "s/$reg/REGISTRY/") $status" >> "$expected"
done
status=0; "$cosign" verify "${cosign_flags[@]}" --certificate-chain "$out/keys/pki-chain.pem" \
  --certificate-identity release@example.com --certificate-oidc-issuer-regexp '.*' --insecure-ignore-tlog \
  --insecure-ignore-sct "$(ref pki)" >/dev/null 2>&1 || status=$?
echo "pki $(ref pki | sed "s/$reg/REGISTRY/") $status (--certificate-chain keys/pki-chain.pem --certificate-identity release@example.com)" >> "$expected"
status=0; "$cosign" verify-attestation "${cosign_flags[@]}" --key "$out/keys/signer.pub" --insecure-ignore-tlog \
  --type slsaprovenance "$(ref app-v1)" >/dev/null 2>&1 || status=$?
echo "app-v1-attestation $(ref app-v1 | sed "s/$reg/REGISTRY/") $status (verify-attestation --type slsaprovenance)" >> "$expected"
echo "bundled $(ref bundled | sed "s/$reg/REGISTRY/") - (cosign 2.5 verify-attestation --new-bundle-format needs TUF online; not run)" >> "$expected"
cat "$expected"
