#!/usr/bin/env python3
"""A test token issuer for distribution's `auth: token:` mode (Docker token flow), Python standard library only.

Usage: token-issuer.py PORT KEY_PEM CERT_PEM USER:PASS [IDENTITY_TOKEN]

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=…] answers {"token", "access_token", "expires_in",
"issued_at"} with an RS256 JWT (signed by `openssl dgst -sha256 -sign`, header `x5c` = CERT) that distribution
verifies against its `rootcertbundle`. Access granted:
- Basic credentials equal to USER:PASS: every requested action;
- anonymous: `pull` on repositories under `public/` only (so anonymous tokens work for public images);
- wrong credentials: 401.
POST /token with the OAuth2 form `grant_type=refresh_token&refresh_token=IDENTITY_TOKEN&service=…&scope=…` (the
identity-token exchange of `identitytoken` in a Docker config) grants every requested action to the holder of
IDENTITY_TOKEN, and answers 401 to any other refresh token.
GET /stats answers {"issued": N, "scopes": {SCOPE: N}}: tokens issued in all and per requested scope, so tests can
check that tokens are reused.
For tests only: listens on 127.0.0.1.
"""
import base64
import json
import subprocess
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PORT, KEY, CERT, CREDS = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
IDENTITY_TOKEN = sys.argv[5] if len(sys.argv) > 5 else None
ISSUER = "image-verifier-test-issuer"
ISSUED = 0
SCOPES = {}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der_b64():
    pem = open(CERT).read()
    body = "".join(line for line in pem.splitlines() if "-----" not in line)
    return body


X5C = cert_der_b64()


def sign(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [X5C]}
    signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=signing_input, capture_output=True,
                         check=True).stdout
    return signing_input.decode() + "." + b64url(sig)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if urlparse(self.path).path != "/token":
            return self.answer(404, {"errors": [{"code": "NOT_FOUND"}]})
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(min(length, 65536)).decode())
        if form.get("grant_type") != ["refresh_token"] or not IDENTITY_TOKEN or \
                form.get("refresh_token") != [IDENTITY_TOKEN]:
            return self.answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid refresh token"}]})
        self.issue(form, CREDS.split(":", 1)[0])

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/stats":
            return self.answer(200, {"issued": ISSUED, "scopes": SCOPES})
        if url.path != "/token":
            return self.answer(404, {"errors": [{"code": "NOT_FOUND"}]})
        query = parse_qs(url.query)
        auth = self.headers.get("Authorization", "")
        user = None
        if auth.startswith("Basic "):
            try:
                given = base64.b64decode(auth[6:]).decode()
            except Exception:
                given = ""
            if given != CREDS:
                return self.answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "wrong username or password"}]})
            user = given.split(":", 1)[0]
        self.issue(query, user)

    def issue(self, query, user):
        global ISSUED
        access = []
        for scope in query.get("scope", []):
            for item in scope.split(" "):
                parts = item.split(":")
                if len(parts) < 3 or parts[0] != "repository":
                    continue
                name, actions = ":".join(parts[1:-1]), parts[-1].split(",")
                if user is None:
                    actions = [a for a in actions if a == "pull"] if name.startswith("public/") else []
                access.append({"type": "repository", "name": name, "actions": actions})
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": user or "", "aud": query.get("service", [""])[0], "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()), "access": access}
        token = sign(claims)
        ISSUED += 1
        for scope in query.get("scope", []):
            SCOPES[scope] = SCOPES.get(scope, 0) + 1
        self.answer(200, {"token": token, "access_token": token, "expires_in": 300,
                          "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
