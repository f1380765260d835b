#!/usr/bin/env python3
"""A misbehaving registry for robustness tests: a proxy in front of a real registry (Python standard library only).

Usage: fault-registry.py PORT UPSTREAM_BASE_URL USER:PASS

Requests to /v2/<mode>/<repository>/... are forwarded to UPSTREAM/v2/<repository>/... after the fault <mode> names:
  flaky      the first 2 requests for each path answer 503, then the real answer (retries with backoff)
  limited    always 429 with Retry-After: 1 (rate_limited once the retries are spent)
  limitonce  the first request for each path answers 429 with Retry-After: 1, then the real answer
  slow       waits 3 s before answering (per-request timeout, overall deadline)
  nohead     HEAD of a manifest answers 200 without Docker-Content-Digest (the client must GET by tag)
  tampered   like nohead, and a GET of a manifest by tag returns the bytes with one byte changed but the
             original Docker-Content-Digest (the client must hash and refuse)
  redirect   needs Basic USER:PASS; blob GETs answer 307 to http://localhost:PORT/blobstore/... (another origin)
GET /v2/ answers 200. The blob store records whether an Authorization header reached it: GET /stats answers
{"blobstoreAuthorization": N, "blobstoreRequests": N}. Listens on 127.0.0.1 only.
"""
import base64
import json
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, UPSTREAM, CREDS = int(sys.argv[1]), sys.argv[2].rstrip("/"), sys.argv[3]
LOCK = threading.Lock()
SEEN = {}
STATS = {"blobstoreAuthorization": 0, "blobstoreRequests": 0}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect())


def count(key):
    with LOCK:
        SEEN[key] = SEEN.get(key, 0) + 1
        return SEEN[key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_one_request(self):
        # A TLS ClientHello (clients probing HTTPS first) has no request line: close at once, as Go's server does.
        if self.rfile.peek(1)[:1] == b"\x16":
            self.close_connection = True
            return
        super().handle_one_request()

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def upstream(self, path):
        req = urllib.request.Request(UPSTREAM + path, method=self.command)
        for name in ("Accept",):
            if self.headers.get(name):
                req.add_header(name, self.headers[name])
        try:
            with OPENER.open(req, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def handle_any(self):
        path = self.path
        if path == "/stats":
            return self.reply(200, json.dumps(STATS).encode(), {"Content-Type": "application/json"})
        if path.startswith("/blobstore/"):
            with LOCK:
                STATS["blobstoreRequests"] += 1
                if self.headers.get("Authorization"):
                    STATS["blobstoreAuthorization"] += 1
            status, headers, body = self.upstream("/v2/" + path[len("/blobstore/"):])
            return self.reply(status, body, {"Content-Type": headers.get("Content-Type", "application/octet-stream")})
        if path in ("/v2/", "/v2"):
            return self.reply(200, b"{}", {"Content-Type": "application/json"})
        if not path.startswith("/v2/"):
            return self.reply(404)
        mode, _, rest = path[4:].partition("/")
        real = "/v2/" + rest
        is_manifest = "/manifests/" in rest
        is_tag = is_manifest and "sha256:" not in rest.rsplit("/manifests/", 1)[1]
        if mode == "flaky" and count(self.command + path) <= 2:
            return self.reply(503, b'{"errors":[{"code":"UNAVAILABLE","message":"try again"}]}',
                              {"Content-Type": "application/json"})
        if mode == "limited":
            return self.reply(429, b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}',
                              {"Content-Type": "application/json", "Retry-After": "1"})
        if mode == "limitonce" and count(self.command + path) <= 1:
            return self.reply(429, b"", {"Retry-After": "1"})
        if mode == "slow":
            time.sleep(3)
        if mode == "redirect":
            if self.headers.get("Authorization") != "Basic " + base64.b64encode(CREDS.encode()).decode():
                return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                                  {"Content-Type": "application/json",
                                   "WWW-Authenticate": 'Basic realm="fault-registry"'})
            if "/blobs/" in rest:
                return self.reply(307, b"", {"Location": f"http://localhost:{PORT}/blobstore/{rest}"})
        status, headers, body = self.upstream(real)
        out = {k: v for k, v in headers.items()
               if k.lower() in ("content-type", "docker-content-digest", "link", "www-authenticate")}
        if mode in ("nohead", "tampered") and is_manifest and self.command == "HEAD":
            out.pop("Docker-Content-Digest", None)
        if mode == "tampered" and is_tag and self.command == "GET" and status == 200 and body:
            body = bytearray(body)
            body[len(body) // 2] ^= 0x01
            body = bytes(body)
        if self.command == "HEAD":
            out["Content-Length"] = headers.get("Content-Length", "0")
        self.reply(status, body, out)

    do_GET = handle_any
    do_HEAD = handle_any


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
