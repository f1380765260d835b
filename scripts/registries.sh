#!/usr/bin/env bash
# Test registries for the integration tests: Debian's docker-registry (CNCF distribution 2.8) on 127.0.0.1.
#   registries.sh start DIR   starts four registries and a token issuer, pushes testdata/images/layouts into each,
#                             writes DIR/env (shell `export` lines, read by scripts/test.sh) and prints it
#   registries.sh stop DIR    stops everything started with DIR (by the pids it recorded)
# Registries: plain HTTP; TLS with a private CA; TLS + htpasswd basic auth; plain HTTP + token auth
# (scripts/token-issuer.py, RS256 JWTs). Every fixture layout is pushed as demo/<name> (and, in the token
# registry, also as public/<name>, which anonymous tokens may pull). scripts/fault-registry.py proxies the plain-HTTP
# registry with injected faults. One more port is left unused: a stopped registry.
set -euo pipefail
cmd=${1:?usage: registries.sh start DIR | stop DIR}; dir=${2:?DIR}
root=$(cd "$(dirname "$0")/.." && pwd)

stop() {
  for f in "$dir"/*.pid; do
    [ -f "$f" ] || continue
    kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}
if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "registries.sh: unknown command $cmd" >&2; exit 64; }

for tool in docker-registry htpasswd openssl python3 curl; do
  command -v $tool >/dev/null || { echo "registries.sh: $tool is missing (apt-get install docker-registry apache2-utils openssl curl)" >&2; exit 1; }
done
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
stop

# Free loopback ports.
read -r p_http p_tls p_auth p_token p_issuer p_down p_fault < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(7)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks: s.close()')

# A private CA and a server certificate it issued for 127.0.0.1 / localhost.
ca=$dir/ca
if [ ! -f "$ca/server.crt" ]; then
  mkdir -p "$ca"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ca/ca.key" -out "$ca/ca.crt" -days 30 \
    -subj "/CN=image-verifier test CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ca/server.key" -out "$ca/server.csr" \
    -subj "/CN=127.0.0.1" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' > "$ca/server.ext"
  openssl x509 -req -in "$ca/server.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAcreateserial -days 30 \
    -extfile "$ca/server.ext" -out "$ca/server.crt" 2>/dev/null
  # The token issuer's RSA signing key and self-signed certificate (distribution's rootcertbundle).
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$ca/token.key" -out "$ca/token.crt" -days 30 \
    -subj "/CN=image-verifier test token issuer" 2>/dev/null
fi
user=tester; password=fixture-registry-password
htpasswd -Bbn "$user" "$password" > "$dir/htpasswd" 2>/dev/null

start_registry() { # name port extra-config-lines
  local name=$1 port=$2 extra=$3
  mkdir -p "$dir/$name/storage"
  {
    echo "version: 0.1"
    echo "log: {level: error}"
    echo "storage: {filesystem: {rootdirectory: $dir/$name/storage}, delete: {enabled: true}}"
    echo "http:"
    echo "  addr: 127.0.0.1:$port"
    printf '%b\n' "$extra"
  } > "$dir/$name/config.yml"
  nohup docker-registry serve "$dir/$name/config.yml" > "$dir/$name/registry.log" 2>&1 &
  echo $! > "$dir/$name.pid"
}
tls="  tls: {certificate: $ca/server.crt, key: $ca/server.key}"
start_registry http "$p_http" ""
start_registry tls "$p_tls" "$tls"
start_registry auth "$p_auth" "$tls\nauth: {htpasswd: {realm: test-registry, path: $dir/htpasswd}}"
start_registry token "$p_token" "auth:\n  token:\n    realm: http://127.0.0.1:$p_issuer/token\n    service: test-registry\n    issuer: image-verifier-test-issuer\n    rootcertbundle: $ca/token.crt"
identity_token=fixture-identity-token-$RANDOM$RANDOM
nohup python3 "$root/scripts/token-issuer.py" "$p_issuer" "$ca/token.key" "$ca/token.crt" "$user:$password" "$identity_token" \
  > "$dir/issuer.log" 2>&1 &
echo $! > "$dir/issuer.pid"
# A misbehaving proxy in front of the plain-HTTP registry (5xx, 429, slow answers, tampering, redirects).
nohup python3 "$root/scripts/fault-registry.py" "$p_fault" "http://127.0.0.1:$p_http" "$user:$password" \
  > "$dir/fault.log" 2>&1 &
echo $! > "$dir/fault.pid"

wait_for() { # url
  for _ in $(seq 1 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca/ca.crt" "$1" 2>/dev/null || true)
    case "$code" in 200|401|404) return 0 ;; esac
    sleep 0.1
  done
  echo "registries.sh: $1 did not answer; logs in $dir" >&2; exit 1
}
wait_for "http://127.0.0.1:$p_http/v2/"
wait_for "https://127.0.0.1:$p_tls/v2/"
wait_for "https://127.0.0.1:$p_auth/v2/"
wait_for "http://127.0.0.1:$p_token/v2/"
wait_for "http://127.0.0.1:$p_issuer/stats"
wait_for "http://127.0.0.1:$p_fault/v2/"

push() { printf '%q ' "$@" >> "$dir/push-jobs"; echo >> "$dir/push-jobs"; }
rm -f "$dir/push-jobs"
for layout in "$root"/testdata/images/layouts/*/; do
  name=$(basename "$layout")
  push "$layout" "http://127.0.0.1:$p_http" "demo/$name"
  push "$layout" "https://127.0.0.1:$p_tls" "demo/$name" --cacert "$ca/ca.crt"
  push "$layout" "https://127.0.0.1:$p_auth" "demo/$name" --cacert "$ca/ca.crt" --user "$user:$password"
  push "$layout" "http://127.0.0.1:$p_token" "demo/$name" --user "$user:$password"
  push "$layout" "http://127.0.0.1:$p_token" "public/$name" --user "$user:$password"
done
python3 "$root/scripts/push-layout.py" --jobs "$dir/push-jobs"

cat > "$dir/env" <<EOF
export IV_REGISTRY_HTTP=127.0.0.1:$p_http
export IV_REGISTRY_HTTP_STORAGE=$dir/http/storage
export IV_REGISTRY_TLS=127.0.0.1:$p_tls
export IV_REGISTRY_AUTH=127.0.0.1:$p_auth
export IV_REGISTRY_TOKEN=127.0.0.1:$p_token
export IV_REGISTRY_TOKEN_ISSUER=http://127.0.0.1:$p_issuer
export IV_REGISTRY_DOWN=127.0.0.1:$p_down
export IV_REGISTRY_FAULT=127.0.0.1:$p_fault
export IV_REGISTRY_CA=$ca/ca.crt
export IV_REGISTRY_USER=$user
export IV_REGISTRY_PASSWORD=$password
export IV_REGISTRY_IDENTITY_TOKEN=$identity_token
EOF
cat "$dir/env"
